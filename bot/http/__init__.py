"""HTTP routes the action server serves besides Rasa's ``/webhook`` (admin API, triggers)."""
