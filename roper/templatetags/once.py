"""`{% submit_once %}`: the one-time key of a create form (see roper.once)."""

import uuid

from django import template
from django.utils.html import format_html

from roper.once import FIELD

register = template.Library()


@register.simple_tag
def submit_once():
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())
