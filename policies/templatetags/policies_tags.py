from django import template

from policies.services import acknowledgements_outstanding

register = template.Library()


@register.inclusion_tag("policies/partials/_home_panel.html", takes_context=True)
def policies_to_read(context):
    """The policies this staff member still has to read (for the home page)."""
    request = context.get("request")
    school = getattr(request, "school", None)
    if request is None or school is None or not request.user.is_authenticated:
        return {"versions": []}
    return {"versions": acknowledgements_outstanding(user=request.user, school=school)}
