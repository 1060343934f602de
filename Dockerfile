# Production image: gunicorn serves Django, whitenoise serves static files.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=safety_portal.settings.base
WORKDIR /app
RUN useradd --system --uid 10001 --home /app portal
# The 通报's PDF (WeasyPrint): pango to lay out text, Noto CJK for Chinese.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk && \
    rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY . .
RUN pip install . && \
    DEBUG=0 SECRET_KEY=build ALLOWED_HOSTS=build REDIS_URL=redis://build EMAIL_URL=consolemail:// \
    python manage.py collectstatic --noinput && \
    mkdir -p /app/var/media && chown -R portal /app/var
USER portal
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), 3 unless the deployment says more.
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "safety_portal.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--timeout", "60", "--access-logfile", "-"]
