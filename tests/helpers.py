"""Small helpers shared by tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient


def text(resp) -> str:
    """The visible text of an HTML response: tags dropped, entities decoded, whitespace collapsed."""
    body = resp.get_data(as_text=True)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())


# --- Forms the way a browser sees them, and a test client that takes its CSRF token from them ----------


@dataclass
class Form:
    """A rendered ``<form>``: where it posts, its method, and the field values a browser would send."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    submits: list[tuple[str, str]] = field(default_factory=list)
    formactions: list[str] = field(default_factory=list)  # submit buttons that post elsewhere
    files: list[str] = field(default_factory=list)  # names of file inputs (a browser needs a file for them)

    def posts_to(self, url: str) -> bool:
        """True when this form, or one of its buttons (``formaction``), posts to ``url``'s path."""
        path = urlsplit(url).path
        return self.method == "post" and (
            self.path == path or any(urlsplit(a).path == path for a in self.formactions)
        )

    @property
    def path(self) -> str:
        """The action's path, without the query."""
        return urlsplit(self.action).path

    @property
    def csrf_token(self) -> str | None:
        """The form's CSRF token, if it has one."""
        return next((v for n, v in self.fields if n == "csrf_token"), None)

    def data(self, **overrides: str) -> dict[str, str | list[str]]:
        """The fields as a browser would post them (first submit button included), with ``overrides``."""
        out: dict[str, str | list[str]] = {}
        for name, value in self.fields + self.submits[:1]:
            if name in out:
                previous = out[name]
                out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                out[name] = value
        out.update(overrides)
        return out


class _FormParser(HTMLParser):
    """Collect the forms of a page with their successful controls (checked boxes, selected options)."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: list[str] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            parts = urlsplit(action)
            action = parts.path + (f"?{parts.query}" if parts.query else "")
            self._form = Form(action=action, method=(a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is not None and tag in ("button", "input") and a.get("formaction"):
            form.formactions.append(urljoin(self.page_url, a["formaction"]))
        if form is None or ("name" not in a and tag != "option"):
            return
        if "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((a["name"], a.get("value", "on")))
            elif kind in ("submit", "image"):
                form.submits.append((a["name"], a.get("value", "")))
            elif kind == "file":
                form.files.append(a["name"])
            elif kind not in ("button", "reset"):
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.submits.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a]  # type: ignore[list-item]
            self._select[1].append(self._option)  # type: ignore[arg-type]
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None and self._option[0] is None:
            self._option.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            self._form.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            values = [(o[0] if o[0] is not None else "".join(o[2:]).strip(), o[1]) for o in options]
            chosen = [v for v, selected in values if selected] or [v for v, _ in values[:1]]
            self._form.fields.extend((name, v) for v in chosen)
            self._select = None


def forms(resp_or_html, page_url: str = "/") -> list[Form]:
    """Every form on a page (a response or its HTML); relative actions are resolved against ``page_url``."""
    if not isinstance(resp_or_html, str):
        if getattr(resp_or_html, "request", None) is not None:
            page_url = resp_or_html.request.full_path.rstrip("?")
        resp_or_html = resp_or_html.get_data(as_text=True)
    parser = _FormParser(page_url)
    parser.feed(resp_or_html)
    return parser.forms


def form_to(resp_or_html, action: str, page_url: str = "/") -> Form:
    """The form on a page that posts to ``action`` (its path); fails the test when there is none."""
    found = [f for f in forms(resp_or_html, page_url) if f.posts_to(action)]
    assert found, f"no form on the page posts to {urlsplit(action).path}"
    return found[0]


CSRF_HINT = """\
{method} {url} was refused by CSRF protection ({reason}).
CSRF is on in tests, as in production. The test client takes the token from a rendered form the way a
browser does, and found none that posts to {path} (looked at: {looked}). Either
  * open the page with the form first:  client.get("/page/with/the/form"); client.post("{path}", data=...)
  * or name it:                         client.post("{path}", data=..., page="/page/with/the/form")
  * for a request no page offers (a refused role, an unknown id):  client.post(..., csrf="session")
To test the refusal itself, post with csrf=False."""


class BrowserClient(FlaskClient):
    """The test client of every app in the tests: it submits forms the way a browser does.

    ``client.post(url, data=...)`` sends the CSRF token of the rendered form that posts to ``url``: the form
    on ``page=`` when given, else on the page last opened with ``client.get``, else on ``url`` itself. A
    form without a token sends none, so a template that forgets ``csrf_token`` fails its tests.
    ``csrf=False`` posts without a token (to test the refusal); ``csrf="session"`` posts this session's
    token taken from any rendered form, for requests no page offers a form for (a role that is refused, an
    unknown id). A refusal the test did not ask for fails at once with a hint. JSON and raw bodies carry
    the token in the ``X-CSRFToken`` header, as scripts do.
    """

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.page_url: str | None = None
        self.page_html: str | None = None

    def csrf_token(self, page: str = "/") -> str:
        """The CSRF token of the first form on ``page`` that has one (opening the page like a browser)."""
        resp = self.get(page, follow_redirects=True)
        token = next((f.csrf_token for f in forms(resp) if f.csrf_token), None)
        assert token, f"no form with a CSRF token on {page} (status {resp.status_code})"
        return token

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        page = kwargs.pop("page", None)
        method = str(kwargs.get("method", "GET")).upper()
        url = args[0] if args and isinstance(args[0], str) else None
        if method not in self.UNSAFE or url is None:
            resp = super().open(*args, **kwargs)
            if method == "GET" and url is not None:
                self._remember(resp)
            return resp
        looked: list[str] = []
        if csrf and self.application.config.get("WTF_CSRF_ENABLED", True) and not self._has_token(kwargs):
            token = self._session_token() if csrf == "session" else self._token_for(url, page, looked)
            if token:
                self._attach(kwargs, token)
        resp = super().open(*args, **kwargs)
        if csrf and resp.status_code == 400 and b"CSRF" in resp.data:
            reason = "the token is missing" if b"missing" in resp.data else "the token is not valid"
            path = urlsplit(url).path
            raise AssertionError(
                CSRF_HINT.format(
                    method=method, url=url, path=path, reason=reason, looked=", ".join(looked) or "nothing"
                )
            )
        if "x-requested-with" not in {k.lower() for k in dict(kwargs.get("headers") or {})}:
            self._remember(resp)  # a script's fetch does not change the page the browser shows
        return resp

    # -- internals --

    def _session_token(self) -> str:
        """Any token of this session (the current page's, else the home page's)."""
        if self.page_url is not None and self.page_html:
            token = next((f.csrf_token for f in forms(self.page_html, self.page_url) if f.csrf_token), None)
            if token:
                return token
        return self.csrf_token("/")

    def _remember(self, resp) -> None:
        """Track the page a browser now shows: a rendered page, or where a redirect leads (opened lazily)."""
        if resp.status_code == 200 and resp.mimetype == "text/html":
            self.page_url = resp.request.full_path.rstrip("?")
            self.page_html = resp.get_data(as_text=True)
        elif 300 <= resp.status_code < 400 and resp.location:
            target = urlsplit(urljoin(resp.request.full_path, resp.location))
            if target.netloc in ("", "localhost"):
                self.page_url = target.path + (f"?{target.query}" if target.query else "")
                self.page_html = None

    @staticmethod
    def _has_token(kwargs: dict) -> bool:
        """True when the request brings its own token, or is an API call (a bearer token, no session)."""
        data = kwargs.get("data")
        if isinstance(data, dict) and "csrf_token" in data:
            return True
        headers = {k.lower() for k in dict(kwargs.get("headers") or {})}
        return bool(headers & {"x-csrftoken", "x-csrf-token", "authorization"})

    def _token_for(self, url: str, page: str | None, looked: list[str]) -> str | None:
        """The token of the form posting to ``url``: on ``page``, else the current page, else on ``url``."""
        path = urlsplit(url).path

        def opened(target: str) -> str:
            resp = self.get(target, follow_redirects=True)
            return resp.get_data(as_text=True) if resp.status_code == 200 else ""

        def candidates():
            if page is not None:
                yield page, opened(page)
                return
            if self.page_url is not None:
                current, cached = self.page_url, self.page_html
                yield current, cached if cached is not None else opened(current)
                if cached is not None:
                    yield f"{current} (reloaded)", opened(current)
            if self.page_url is None or urlsplit(self.page_url).path != path:
                yield url, opened(url)

        for page_url, html_text in candidates():
            for form in forms(html_text, page_url.removesuffix(" (reloaded)")):
                if form.posts_to(path):
                    if form.csrf_token:
                        return form.csrf_token
                    looked.append(f"{page_url}, whose form to {path} has NO csrf_token field")
                    return None
            looked.append(page_url)
        return None

    @staticmethod
    def _attach(kwargs: dict, token: str) -> None:
        data = kwargs.get("data")
        if "json" in kwargs or isinstance(data, (str, bytes)):
            headers = dict(kwargs.get("headers") or {})
            headers["X-CSRFToken"] = token
            kwargs["headers"] = headers
        elif data is None or isinstance(data, dict):
            kwargs["data"] = {**(data or {}), "csrf_token": token}
        else:  # a MultiDict or list of pairs
            kwargs["data"] = [
                *(data.items(multi=True) if hasattr(data, "items") else data),
                ("csrf_token", token),
            ]
