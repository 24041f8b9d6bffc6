from django import forms

from .selectors import PERIODS


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "Up"), ("-1", "Down"), ("0", "None")], coerce=int)


class PeriodForm(forms.Form):
    t = forms.ChoiceField(choices=[(period, period) for period in PERIODS], required=False)
