"""The WhatsApp message-template library and its approval status at Wappbíz (issue 5).

* ``bot/templates/library/*.yml``: the templates, one file per language (``es_CO``
  first, ``en``), a reviewed artefact separate from the chat copy in ``bot/copy``;
* :func:`load_library` / :func:`default_library`: typed, validated templates
  (:class:`LibraryError` lists every contract violation at once);
* :func:`sync_templates` (``python -m bot templates sync``): submit, edit and track
  their review;
* :func:`require_approved` / :func:`approved` and :func:`build_template`: what the
  sender uses (only APPROVED templates are ever sent).
"""

from bot.templates.loader import LIBRARY_DIR, default_library, load_library
from bot.templates.model import (
    LANGUAGES,
    Button,
    Header,
    Library,
    TemplateDef,
    UnknownTemplate,
    Variable,
    template_language,
)
from bot.templates.send import TemplateValueError, build_template, message_body, render_text
from bot.templates.sync import (
    SyncEntry,
    SyncReport,
    TemplateNotApproved,
    apply_status_update,
    approved,
    refresh_statuses,
    require_approved,
    sync_templates,
    wait_for_review,
)
from bot.templates.validate import LibraryError, library_problems, validate_library

__all__ = [
    "LANGUAGES",
    "LIBRARY_DIR",
    "Button",
    "Header",
    "Library",
    "LibraryError",
    "SyncEntry",
    "SyncReport",
    "TemplateDef",
    "TemplateNotApproved",
    "TemplateValueError",
    "UnknownTemplate",
    "Variable",
    "apply_status_update",
    "approved",
    "build_template",
    "default_library",
    "library_problems",
    "load_library",
    "message_body",
    "refresh_statuses",
    "render_text",
    "require_approved",
    "sync_templates",
    "template_language",
    "validate_library",
    "wait_for_review",
]
