"""The OpenAPI 3 document of the shared-data JSON API (served at `api/openapi.json`)."""

from __future__ import annotations


def _json(schema_ref: str | None = None, description: str = "OK") -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}} if schema_ref else {}
    return {"description": description, **({"content": content} if content else {})}


ERRORS = {
    "400": _json("Error", "Bad input (unsafe path, bad JSON); `message` says what to fix"),
    "403": _json("Error", "Not signed in, or not allowed to change the shared data"),
    "404": _json("Error", "No such file, folder, upload or pull"),
    "409": _json("Error", "Already exists, or someone is changing the same thing"),
    "413": _json("Error", "Would pass the shared folder's quota, or sent more than declared"),
}
PATH_PARAMETER = {
    "name": "path",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Path inside the shared folder, `/` between folders (empty: the shared folder)",
}


def _body(schema_ref: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def openapi_document(prefix: str) -> dict:
    """The document, with `prefix` (the service's URL prefix) as its server."""
    string, integer = {"type": "string"}, {"type": "integer"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hubextras shared data",
            "version": "1",
            "description": "Browse, upload to and pull into the community's shared folder. Authenticate with "
            "`Authorization: token <JupyterHub API token>`. Reading needs access to the `shared-data` service "
            "(every user); changing needs the `custom:shared-data:write` scope (hub champions and admins).",
        },
        "servers": [{"url": prefix.rstrip("/")}],
        "components": {
            "securitySchemes": {"hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"status": integer, "message": string}},
                "Entry": {
                    "type": "object",
                    "properties": {
                        "name": string,
                        "path": string,
                        "type": {"type": "string", "enum": ["file", "folder", "link"]},
                        "size": {"type": "integer", "nullable": True},
                        "modified": {"type": "string", "format": "date-time"},
                    },
                },
                "Listing": {
                    "type": "object",
                    "properties": {
                        "path": string,
                        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                    },
                },
                "Usage": {
                    "type": "object",
                    "properties": {
                        "used_bytes": integer,
                        "reserved_bytes": integer,
                        "quota_bytes": integer,
                        "free_bytes": integer,
                        "percent": {"type": "number"},
                        "text": string,
                    },
                },
                "PathRequest": {"type": "object", "required": ["path"], "properties": {"path": string}},
                "UploadRequest": {
                    "type": "object",
                    "required": ["path", "size"],
                    "properties": {"path": string, "size": integer, "overwrite": {"type": "boolean", "default": False}},
                },
                "Upload": {
                    "type": "object",
                    "properties": {
                        "id": string,
                        "path": string,
                        "size": integer,
                        "offset": integer,
                        "done": {"type": "boolean"},
                        "owner": string,
                        "chunk_bytes": integer,
                        "max_chunk_bytes": integer,
                        "entry": {"$ref": "#/components/schemas/Entry"},
                    },
                },
                "PullRequest": {
                    "type": "object",
                    "required": ["kind", "url"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["git", "url", "s3"]},
                        "url": string,
                        "ref": {"type": "string", "description": "branch or tag (git)"},
                        "into": {"type": "string", "description": "folder to pull into"},
                        "name": {"type": "string", "description": "name of the result (default: from the URL)"},
                        "replace": {"type": "boolean", "default": False},
                    },
                },
                "Pull": {
                    "type": "object",
                    "properties": {
                        "id": string,
                        "user": string,
                        "source": string,
                        "state": {"type": "string", "enum": ["running", "done", "failed"]},
                        "result": string,
                        "error": string,
                        "lines": {"type": "array", "items": string},
                    },
                },
                "AuditEntry": {
                    "type": "object",
                    "additionalProperties": True,
                    "properties": {"time": string, "user": string, "action": string, "path": string},
                },
            },
        },
        "security": [{"hubToken": []}],
        "paths": {
            "/api/me": {
                "get": {
                    "summary": "Who you are and whether you may change the shared data",
                    "responses": {"200": _json(None, "`{name, can_write}`"), "403": ERRORS["403"]},
                }
            },
            "/api/usage": {"get": {"summary": "How full the shared folder is", "responses": {"200": _json("Usage")}}},
            "/api/files/{path}": {
                "parameters": [PATH_PARAMETER],
                "get": {
                    "summary": "A folder's listing, or a file's bytes",
                    "responses": {
                        "200": {
                            "description": "Listing (JSON) for a folder; the file itself for a file",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Listing"}},
                                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                            },
                        },
                        "400": ERRORS["400"],
                        "404": ERRORS["404"],
                    },
                },
                "patch": {
                    "summary": "Rename or move (never over something existing)",
                    "requestBody": _body("PathRequest"),
                    "responses": {"200": _json("Entry"), **ERRORS},
                },
                "delete": {
                    "summary": "Delete a file or a whole folder",
                    "responses": {"204": {"description": "Deleted"}, **ERRORS},
                },
            },
            "/api/folders": {
                "post": {
                    "summary": "Make a folder (and missing parents)",
                    "requestBody": _body("PathRequest"),
                    "responses": {"201": _json("Entry"), **ERRORS},
                }
            },
            "/api/uploads": {
                "post": {
                    "summary": "Start an upload: reserves `size` bytes, refused at once if past the quota",
                    "requestBody": _body("UploadRequest"),
                    "responses": {"201": _json("Upload"), **ERRORS},
                }
            },
            "/api/uploads/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": string}],
                "get": {
                    "summary": "Where the upload stands (`offset`): resume from there (champions and admins)",
                    "responses": {"200": _json("Upload"), "403": ERRORS["403"], "404": ERRORS["404"]},
                },
                "put": {
                    "summary": "Send the next bytes (at most `max_chunk_bytes` per request); the last completes it",
                    "parameters": [{"name": "offset", "in": "query", "required": True, "schema": integer}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "responses": {"200": _json("Upload"), **ERRORS},
                },
                "delete": {
                    "summary": "Cancel the upload (nothing is left behind)",
                    "responses": {"204": {"description": "Cancelled"}, **ERRORS},
                },
            },
            "/api/pulls": {
                "get": {"summary": "Recent pulls", "responses": {"200": {"description": "List of Pull"}}},
                "post": {
                    "summary": "Pull from a git repository or an http(s) URL (.zip and .tar.gz are unpacked)",
                    "requestBody": _body("PullRequest"),
                    "responses": {"202": _json("Pull"), **ERRORS},
                },
            },
            "/api/pulls/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": string}],
                "get": {"summary": "A pull's progress and outcome", "responses": {"200": _json("Pull")}},
            },
            "/api/pulls/{id}/events": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": string}],
                "get": {
                    "summary": "Progress lines as server-sent events, then `event: end` with the Pull",
                    "responses": {"200": {"description": "text/event-stream"}},
                },
            },
            "/api/audit": {
                "get": {
                    "summary": "The audit log, newest first (champions and admins)",
                    "parameters": [{"name": "limit", "in": "query", "schema": integer}],
                    "responses": {
                        "200": {
                            "description": "List of AuditEntry",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}
                                }
                            },
                        }
                    },
                }
            },
            "/api/links/nbgitpuller": {
                "get": {
                    "summary": "An nbgitpuller link that puts a repository into each user's own home",
                    "parameters": [
                        {"name": n, "in": "query", "schema": string} for n in ("repo", "branch", "interface", "open")
                    ],
                    "responses": {"200": _json(None, "`{link}`"), "400": ERRORS["400"]},
                }
            },
        },
    }
