"""Pages anyone may open without signing in (policies/public.py). Not under policies/: every
view there is guarded by a permission (tests/test_guarded.py); these are public by design."""

from django.urls import path

from policies import public

app_name = "public"

urlpatterns = [
    path("<slug:urn>/policies/<slug:slug>/", public.public_policy, name="policy"),
]
