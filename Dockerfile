# One image for every process of the assistant; the command picks the process:
#   rasa server:    rasa run --enable-api --auth-token $RASA_API_TOKEN -i 0.0.0.0 --credentials credentials.yml --endpoints /app/var/endpoints.runtime.yml
#   action server:  python -m bot.action_server
#   ingress:        python -m bot.ingress   (the public webhook)
#   all-in-one dev: python -m bot run
FROM python:3.10-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONPATH=/app BIND_HOST=0.0.0.0
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir "pip==24.0" && pip install --no-cache-dir -r requirements.lock && pip check

COPY . .
RUN python -m bot train
RUN useradd --create-home bot && mkdir -p /app/var && chown -R bot /app/var /app/models
USER bot
EXPOSE 5005 5006 5055
CMD ["python", "-m", "bot.action_server"]
