import pytest

pytestmark = pytest.mark.django_db


def test_every_page_carries_a_strict_content_security_policy(client, world):
    client.force_login(world.users["teacher"])
    for url in ["/accounts/login/", "/", "/learners/", "/healthz"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_no_template_has_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text()
        for line_no, line in enumerate(text.splitlines(), 1):
            stripped = line.strip().lower()
            if "<script" in stripped and "src=" not in stripped:
                offenders.append(f"{template.relative_to(root)}:{line_no}")
            if any(
                f" on{event}=" in stripped
                for event in ("click", "change", "load", "submit", "input", "keyup", "keydown")
            ):
                offenders.append(f"{template.relative_to(root)}:{line_no} (inline handler)")
    assert not offenders, offenders


def test_signed_in_pages_are_never_cached(client, world):
    client.force_login(world.users["dsl"])
    for url in ["/", "/learners/", f"/learners/{world.learner.pk}/", "/notifications/"]:
        response = client.get(url, follow=True)
        assert "no-store" in response["Cache-Control"], url


def test_a_bad_host_header_is_refused_with_a_400_page_not_a_server_error(client):
    response = client.get("/accounts/login/", HTTP_HOST="roper.attacker.example")
    assert response.status_code == 400
    assert "Content-Security-Policy" in response


def test_a_static_file_keeps_its_own_caching_for_a_signed_in_user(client, world, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ (no collectstatic in tests)
    client.force_login(world.users["teacher"])
    response = client.get("/static/css/roper.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]


def test_pages_are_compressed_for_a_browser_that_accepts_gzip(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


def test_every_page_names_a_favicon_that_exists(client, world):
    from pathlib import Path

    client.force_login(world.users["teacher"])
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    assert (Path(__file__).resolve().parents[2] / "static/favicon.svg").is_file()
