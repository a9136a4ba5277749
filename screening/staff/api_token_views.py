"""API tokens for integration engines (``/staff/admin/api-tokens``, admins only): the list, issuing a token (shown
once, on the answer to the POST that made it: ``no-store``, never in a URL, the session, a flash message or a log),
and revoking one, asked on its own confirmation page whose POST (CSRF) makes it.

Routes of the admin blueprint (``admin_views``, which imports this module last); every write goes through
``api_tokens`` (audited, committed).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from screening.access import roles
from screening.models import ApiToken, Role
from screening.staff import api_tokens
from screening.staff.admin_views import _actor, _page, bp
from screening.staff.forms import ApiTokenForm, PostForm


def _token(token_id: int) -> ApiToken:
    token: ApiToken = api_tokens.find_token(token_id) or abort(404)
    return token


@bp.get("/api-tokens")
@roles(Role.ADMIN)
def api_tokens_page() -> ResponseReturnValue:
    """Every token: its name, prefix, who created it and when, when it was last used, and whether it is revoked."""
    return _page("admin/api_tokens.html", tokens=api_tokens.list_tokens())


@bp.route("/api-tokens/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def api_token_new() -> ResponseReturnValue:
    """Issue a read-only token; the answer to the POST shows it, this once."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = api_tokens.create_token(
                form.name.data or "", actor=_actor(), remote_addr=request.remote_addr
            )
        except api_tokens.TokenError as error:
            form.name.errors = [str(error)]
        else:
            return _page("admin/api_token_created.html", token=token, secret=secret)
    return _page("admin/api_token_new.html", form=form, has_errors=bool(form.errors))


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@roles(Role.ADMIN)
def api_token_revoke(token_id: int) -> ResponseReturnValue:
    """GET: are you sure? POST (CSRF): revoke at once; the integration using it gets 401 from its next request."""
    token = _token(token_id)
    form = PostForm()
    problem = f"The token {token.name} is already revoked" if token.revoked_at is not None else None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if problem is None:
            api_tokens.revoke_token(token, actor=_actor(), remote_addr=request.remote_addr)
            flash(f"The token {token.name} is revoked: requests that use it are refused from now on")
            return redirect(url_for(".api_tokens_page"))
    status = 400 if request.method == "POST" else 200
    has_errors = problem is not None and status == 400
    return _page("admin/api_token_revoke.html", token=token, form=form, problem=problem, has_errors=has_errors), status
