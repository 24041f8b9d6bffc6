from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from .forms import SignUpForm
from .services import token_rotate


def signup(request):
    if request.user.is_authenticated:
        return redirect("gallery:new")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Slowmeme, {user.username}!")
        return redirect("generator:pick")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def settings(request):
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/settings.html", {"token": token})


@login_required
@require_POST
def rotate_token(request):
    token_rotate(user=request.user)
    messages.success(request, "Your new API token is ready. The old one no longer works.")
    return redirect("accounts:settings")
