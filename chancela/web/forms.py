from django.forms.renderers import TemplatesSetting


class ChancelaFormRenderer(TemplatesSetting):
    """Renders every field as: label, input, help text, errors next to the field."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
