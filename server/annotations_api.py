"""The JSON endpoint ``/_cc/annotations``: a plain Flask route under the app's server, so the
app's authentication (server.auth) guards it like every page.

``GET /_cc/annotations?status=&model=`` lists, ``POST`` adds ``{model_id, status, note, target?,
instance_id?, scope?}`` as the signed-in user, ``PATCH``/``DELETE /_cc/annotations/<id>`` edit and
remove, ``GET /_cc/annotations.csv`` exports. Bodies must be ``application/json``, so a
cross-site form cannot post one. Bad input is 400, an unknown note 404, a database that is down
503, each with one line.
"""

from __future__ import annotations

from dataclasses import asdict

import flask

from server.annotations import Unavailable, current_user, store

PREFIX = "/_cc/annotations"


def _json(note) -> dict:
    out = asdict(note)
    out["created_at"], out["updated_at"] = note.created_at.isoformat(), note.updated_at.isoformat()
    return out


def _problem(message: str, status: int):
    return flask.jsonify({"error": message}), status


def _guarded(work):
    """Run a request's work: bad input 400, unknown note 404, database down 503, one line each."""
    from backend.annotations import AnnotationError, AnnotationsUnavailable

    try:
        return work()
    except (Unavailable, AnnotationsUnavailable) as exc:
        return _problem(str(exc), 503)
    except AnnotationError as exc:
        return _problem(str(exc), 404 if str(exc).endswith("no such annotation") else 400)


def _body() -> dict:
    from backend.annotations import AnnotationError

    if not flask.request.is_json:
        raise AnnotationError("annotations: send JSON (Content-Type: application/json)")
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AnnotationError("annotations: the body must be a JSON object")
    return body


def _known_model(model_id: object) -> None:
    from backend.annotations import AnnotationError
    from server.context import experiment

    if not isinstance(model_id, str) or model_id not in experiment().forest:
        raise AnnotationError(f"annotation model id: {str(model_id)[:100]!r} is not a model of this "
                              "experiment")


def list_annotations():
    """``GET``: the notes, optionally of one status and/or one model."""
    args = flask.request.args
    return _guarded(lambda: flask.jsonify([_json(a) for a in store().list(
        status=args.get("status") or None, model_id=args.get("model") or None)]))


def add_annotation():
    """``POST``: a new note by the signed-in user."""
    def work():
        body = _body()
        _known_model(body.get("model_id"))
        note = store().add(body.get("model_id"), body.get("status"), body.get("note", ""), current_user(),
                           target=body.get("target", "model"), instance_id=body.get("instance_id"),
                           scope=body.get("scope") or "global")
        return flask.jsonify(_json(note)), 201

    return _guarded(work)


def edit_annotation(annotation_id: int):
    """``PATCH``: a new status and/or text; ``DELETE``: remove."""
    from backend.annotations import AnnotationError

    def work():
        if flask.request.method == "DELETE":
            if not store().delete(annotation_id):
                raise AnnotationError(f"annotation {annotation_id}: no such annotation")
            return "", 204
        body = _body()
        return flask.jsonify(_json(store().update(annotation_id, status=body.get("status"),
                                                  note=body.get("note"))))

    return _guarded(work)


def export_csv():
    """``GET .csv``: the listed notes as a spreadsheet."""
    from backend.annotations import annotations_csv

    args = flask.request.args

    def work():
        text = annotations_csv(store().list(status=args.get("status") or None,
                                            model_id=args.get("model") or None))
        return flask.Response(text, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="annotations.csv"'})

    return _guarded(work)


def install(server: flask.Flask) -> None:
    """Add the endpoint's routes; the database is opened on first use (and at start-up by create_app)."""
    server.add_url_rule(PREFIX, "cc_annotations_list", list_annotations, methods=["GET"])
    server.add_url_rule(PREFIX, "cc_annotations_add", add_annotation, methods=["POST"])
    server.add_url_rule(f"{PREFIX}/<int:annotation_id>", "cc_annotations_edit", edit_annotation,
                        methods=["PATCH", "DELETE"])
    server.add_url_rule(f"{PREFIX}.csv", "cc_annotations_csv", export_csv, methods=["GET"])
