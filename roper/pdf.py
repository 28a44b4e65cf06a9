"""PDFs people can read with a screen reader: one way to make them, tagged PDF/UA-1 (the
document's structure, its language from `<html lang>` and its title from `<title>`)."""

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string


def pdf_response(request, *, template: str, context: dict, filename: str) -> HttpResponse:
    import weasyprint

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per step
    html = render_to_string(template, context, request=request)
    pdf = weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response
