"""PDFs people can read with a screen reader: one way to make them, tagged PDF/UA-1 (the
document's structure, its language from `<html lang>` and its title from `<title>`)."""

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string


def pdf_bytes(*, template: str, context: dict, request=None, base_url: str = "") -> bytes:
    """The PDF of `template`, as bytes (for a file that is not a response: a transfer
    package carries one)."""
    import weasyprint

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per step
    html = render_to_string(template, context, request=request)
    return weasyprint.HTML(string=html, base_url=base_url or None).write_pdf(pdf_variant="pdf/ua-1")


def pdf_response(request, *, template: str, context: dict, filename: str) -> HttpResponse:
    pdf = pdf_bytes(
        template=template,
        context=context,
        request=request,
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response
