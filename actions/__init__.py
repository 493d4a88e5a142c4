"""Custom actions of the Fashionistas assistant (rasa-sdk), one module per journey.

Actions stay thin: they pick the reply language (:func:`bot.i18n.language_of`), read the
copy from ``bot/copy`` and build messages with :mod:`bot.replies`; business logic lives
in the ``bot`` package. ``rasa run actions`` imports every module of this package.
"""
