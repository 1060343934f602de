# Production image: gunicorn serves Django, whitenoise serves static files.
# Layered so that a code change does not reinstall the dependencies: the
# dependency layer depends on pyproject.toml alone, the code is copied after it.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=safety_portal.settings.base
WORKDIR /app
RUN useradd --system --uid 10001 --home /app portal
# The 通报's PDF (WeasyPrint): pango to lay out text, Noto CJK for Chinese.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk && \
    rm -rf /var/lib/apt/lists/*

# 1. Dependencies (the project's and its production extra: the pinned gunicorn),
#    read from pyproject.toml; rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['production']))" > /tmp/requirements.txt && \
    pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

# 2. The code (.dockerignore keeps .env, .git, .venv, var/ and databases out),
#    run from /app (PYTHONPATH), then static files. The build-time settings exist
#    only for collectstatic; the running containers get theirs from compose.
COPY . .
RUN DEBUG=0 SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    REDIS_URL=redis://build EMAIL_URL=consolemail:// PORTAL_BASE_URL=https://build.invalid \
    python manage.py collectstatic --noinput && rm -f /tmp/build.sqlite3 && \
    mkdir -p /app/var/media /app/var/run && chown -R portal /app/var
USER portal
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), 3 unless the deployment says more.
ENV WEB_CONCURRENCY=3
# gunicorn's control socket defaults to $HOME/.gunicorn/, which the portal user
# cannot write (/app belongs to root): it lives in /app/var/run instead.
# The access log is gunicorn's default line without the query string and the
# Referer: a roster searched by a child's name or 学籍号 (?q=) would put it in
# every log line (security.md G5; tests/security/test_child_data_canary.py).
CMD ["gunicorn", "safety_portal.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--timeout", "60", "--access-logfile", "-", \
     "--access-logformat", "%(h)s %(l)s %(u)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(b)s \"%(a)s\"", \
     "--control-socket", "/app/var/run/gunicorn.ctl"]
