from django.contrib.auth.forms import UserCreationForm

from .models import User
from .services import username_clean


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")

    def clean_username(self):
        return username_clean(super().clean_username())
