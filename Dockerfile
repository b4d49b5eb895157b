# The CRM's production image: web (gunicorn + whitenoise), Celery worker and beat all run it.
FROM python:3.11-slim

# The code runs from /app, where manage.py, templates/ and static/ live beside the packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

RUN groupadd --system crm && useradd --system --gid crm --home-dir /app --no-create-home crm

WORKDIR /app

# Dependencies first, in their own layer, so a code change does not reinstall them. Only the
# project metadata is here yet, so `pip install .` installs the dependencies and no code. No
# extras: the production image runs no data generator, so Faker (the `demo` extra) stays out.
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# The compiled catalogues (.mo) are not committed: polib (pure Python, a dependency) builds them
# from the .po files, so the image needs no GNU gettext. Any .mo of the build context is redone.
RUN python -m core.catalogues compile locale/*/LC_MESSAGES/*.po

# Static files are collected into the image and served by whitenoise. Settings refuse to load
# with DEBUG=false and no SECRET_KEY or ALLOWED_HOSTS, so this one command gets throwaway values;
# the running containers get the real ones from .env.
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
        CELERY_BROKER_URL=memory:// DATABASE_URL=sqlite:////tmp/unused.sqlite3 \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/var/beat \
    && chown -R crm:crm /app/media /app/var

USER crm

EXPOSE 8000
CMD ["gunicorn", "-c", "crm/gunicorn.conf.py", "crm.wsgi"]
