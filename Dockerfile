# The login site for Elastic Beanstalk's Docker platform (and any Docker host).
# Build: docker build -t login-site .
# Run:   docker run -p 8000:8000 -e SECRET_KEY=... login-site
FROM python:3.11.17-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Requirements before the code, so that a code change reuses this layer.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code belongs to root and only instance/ (the SQLite accounts file used
# when DATABASE_URL is unset) belongs to the user the site runs as.
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /app site
WORKDIR /app
COPY . .
RUN mkdir instance && chown site:site instance
USER 10001:10001

# Elastic Beanstalk's proxy forwards to the one port the image exposes.
ENV BIND_HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=3)"]

# Exec form: gunicorn is PID 1 and gets SIGTERM itself, so it shuts down gracefully.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:application"]
