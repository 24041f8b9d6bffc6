"""Slowmeme settings: one module, driven by environment variables.

With nothing set, Slowmeme runs embedded on a laptop: SQLite under var/, a Celery broker kept in
files under var/, and an in-process channel layer. Setting DATABASE_URL and REDIS_URL moves it to
PostgreSQL and Redis so that web servers and workers can run on separate machines.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env("SLOWMEME_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key() -> str:
    # Secrets come from the environment; the embedded mode makes one on first start and keeps it
    # in var/ so that sessions survive a restart.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default=None) or _embedded_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind HTTPS in production: secure cookies, HSTS and redirects (all that `check --deploy` asks).
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS and env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, so /api/docs/ needs no CDN
    "channels",
    # Bottom to top: each app imports only those above it in this list (tests/test_app_layers.py checks it).
    "memesite",
    "accounts",
    "memes",
    "expressions",
    "captions",
    "generator",
    "gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The database or the broker away, or the queue full: a 503 that says so, not a traceback.
    "memesite.outages.OutageMiddleware",
    "memesite.queries.NulQueryMiddleware",
]

ROOT_URLCONF = "memesite.urls"
ASGI_APPLICATION = "memesite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "memesite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded worker writes while the web server reads: WAL and a busy timeout keep SQLite
    # from answering "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env.bool("DATABASE_POOL", default=True):
    # Requests run in WEB_THREADS threads a server process, websocket consumers in threads of their own: a pool
    # keeps their connections few and warm, where persistent per-thread ones would pile up towards PostgreSQL's limit.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": env.int("DATABASE_POOL_SIZE", default=20), "timeout": 10}
    }
    # The pool checks a connection before lending it, so the site recovers by itself after PostgreSQL restarts.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:new"
LOGOUT_REDIRECT_URL = "gallery:new"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
SERVESTATIC_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploads and memes: served only by their views, after checking who asks; never put a web server in front of it.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
# The embedded mode serves uploads and memes itself; in production a web server or CDN does.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "memesite.storage.AtomicFileSystemStorage"},  # no half-written image, ever
    "private": {"BACKEND": "memesite.storage.PrivateStorage"},  # in PRIVATE_MEDIA_ROOT
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Limits on what users send (uploads are checked before any pixel is decoded).
MEME_MAX_UPLOAD_BYTES = env.int("MEME_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
MEME_MAX_PIXELS = env.int("MEME_MAX_PIXELS", default=25_000_000)
MEME_MAX_LINE_CHARS = 200
MEME_MAX_TITLE_CHARS = 200
MEME_MAX_LINES = 10
MEME_RENDER_WIDTH = 800
# An animated template (GIF, WebP) keeps at most this many frames (dropped evenly, the pace kept) and is drawn at
# most this many pixels on its longer side, so that one render stays cheap.
MEME_ANIMATION_MAX_FRAMES = env.int("MEME_ANIMATION_MAX_FRAMES", default=48)
MEME_ANIMATION_MAX_SIDE = env.int("MEME_ANIMATION_MAX_SIDE", default=480)
# Images rendered from a memegen-style address (/t/<slug>/<top>/<bottom>.jpg): the widest one may ask for
# (?width=), and how long a render stays in the cache.
MEME_URL_MAX_WIDTH = env.int("MEME_URL_MAX_WIDTH", default=1600)
MEME_URL_CACHE_SECONDS = env.int("MEME_URL_CACHE_SECONDS", default=24 * 60 * 60)
# A picture that this many different users captioned on their own image (near-duplicates, by the perceptual hash
# templates are recognised with) is offered to staff as a new template (generator.template_suggestions).
TEMPLATE_SUGGESTION_USERS = env.int("TEMPLATE_SUGGESTION_USERS", default=3)

# Trained caption models, one folder per version (the bundled one stays in ml/captions/pretrained).
CAPTION_MODELS_DIR = Path(env("CAPTION_MODELS_DIR", default=str(VAR_DIR / "models")))
# How much worse (a fraction) a retrained candidate may be on the fixed held-out captions and still be promoted,
# if it wins on recently liked ones. 0: it must win on both.
CAPTION_GATE_TOLERANCE = env.float("CAPTION_GATE_TOLERANCE", default=0.0)
# A candidate that passes that gate is tried live before it is promoted (captions.experiments): it writes this share
# of title-mode captions, and is promoted once its memes are liked more than the active model's with this
# probability, after at least this many votes on each side; rolled back if worse, or undecided after the days.
CAPTION_EXPERIMENT_SHARE = env.float("CAPTION_EXPERIMENT_SHARE", default=0.2)
CAPTION_EXPERIMENT_CONFIDENCE = env.float("CAPTION_EXPERIMENT_CONFIDENCE", default=0.95)
CAPTION_EXPERIMENT_MIN_VOTES = env.int("CAPTION_EXPERIMENT_MIN_VOTES", default=200)
CAPTION_EXPERIMENT_DAYS = env.float("CAPTION_EXPERIMENT_DAYS", default=14)

# Caption scorers the learning loop fine-tunes on the site's votes, one folder per version (the bundled one stays in
# ml/scorer/pretrained). Two memes of a template become a training pair once each has SCORER_PAIR_MIN_VOTES votes
# and their shares of up votes differ clearly; the loop retrains only with SCORER_MIN_PAIRS training pairs, and a
# retrained scorer replaces the active one only if it ranks at least SCORER_MIN_HELDOUT_PAIRS held-out pairs better.
SCORER_MODELS_DIR = Path(env("SCORER_MODELS_DIR", default=str(VAR_DIR / "scorers")))
SCORER_PAIR_MIN_VOTES = env.int("SCORER_PAIR_MIN_VOTES", default=5)
SCORER_MIN_PAIRS = env.int("SCORER_MIN_PAIRS", default=200)
SCORER_MIN_HELDOUT_PAIRS = env.int("SCORER_MIN_HELDOUT_PAIRS", default=50)

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Server processes `runsite --no-worker` starts on one port (one per core; more than one needs REDIS_URL).
WEB_PROCESSES = env.int("WEB_PROCESSES", default=1)
# Threads a server process runs requests in (memesite.handler); each holds a database connection while it works.
WEB_THREADS = env.int("WEB_THREADS", default=8)
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task whose worker died is handed out again after this long (longer than any task runs).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=600)}
else:
    BROKER_DIR.mkdir(exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "memesite.broker:Transport"  # kombu's, writing each message whole
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.05,
    }
# Job state lives on our own Job rows, so Celery keeps no results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Machine-learning tasks go to their own queue so GPU machines can consume only that.
CELERY_TASK_ROUTES = {"ml.*": {"queue": "ml"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_QUEUES = env.list("CELERY_WORKER_QUEUES", default=["default", "ml"])
# The learning loop's turn, every night (run `make beat` beside the workers); admin can start one any time.
CELERY_BEAT_SCHEDULE = {
    "retrain-captions": {
        "task": "ml.retrain_captions",
        "schedule": crontab(hour=env.int("RETRAIN_HOUR", default=3), minute=0),
    },
    # The live experiment's verdict, from the votes so far.
    "judge-caption-experiment": {
        "task": "captions.judge_experiment", "schedule": env.float("EXPERIMENT_JUDGE_INTERVAL", default=600)
    },
    # Jobs whose message was lost (the broker restarted without it) are queued again; running one twice is safe.
    "requeue-stale-jobs": {"task": "generator.requeue_stale_jobs", "schedule": env.float("JOB_REQUEUE_INTERVAL", default=60)},
    "remove-orphan-media": {"task": "generator.remove_orphan_media", "schedule": crontab(hour=4, minute=30)},
}
# A job not finished and untouched for this many seconds is queued again.
JOB_REQUEUE_AFTER = env.int("JOB_REQUEUE_AFTER", default=15 * 60)
# Load shedding: each user may have this many memes waiting or being made (429 past it), and the whole site this
# many waiting (503 past it: better a clear "try again" than a queue nobody will see the end of).
MEME_MAX_JOBS_PER_USER = env.int("MEME_MAX_JOBS_PER_USER", default=10)
MEME_MAX_QUEUED_JOBS = env.int("MEME_MAX_QUEUED_JOBS", default=1000)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Channels -----------------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A consumer waits on Redis in blocking pops of 5 s; redis-py 8 gives every read a 5-s timeout too,
                # so a quiet socket's read timed out and its consumer died (1011). Reads may take longer than the
                # pop, and still end if Redis goes silent; keep-alive notices a peer that vanished.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "socket_keepalive": True}],
                "prefix": env("CHANNELS_PREFIX", default="slowmeme"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "memesite.layers.InProcessChannelLayer"}}

# --- Cache --------------------------------------------------------------------------------------
# Rendered image addresses and throttle counts. Per process by default; several web servers share one through
# CACHE_URL (e.g. redis://host:6379/2 — a database of its own: clearing the cache empties it).
CACHE_URL = env("CACHE_URL", default="")
CACHES = {"default": env.cache_url_config(CACHE_URL or "locmemcache://")}
# The gallery's cards (gallery/cards.py): many small pieces of markup, never stale (each is keyed by what it shows).
# In this process's memory, or beside the default cache when CACHE_URL names a shared one.
CACHES["gallery"] = (
    {**CACHES["default"], "KEY_PREFIX": "gallery"} if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gallery",
          "OPTIONS": {"MAX_ENTRIES": env.int("GALLERY_CARDS_KEPT", default=20_000)}}
)  # fmt: skip
# Seconds the gallery's first pages are kept whole for anonymous visitors (dropped sooner by any change to a meme).
# Every process that changes memes must share the cache for that: on by default with CACHE_URL, or embedded.
GALLERY_PAGE_SECONDS = env.int("GALLERY_PAGE_SECONDS", default=30 if CACHE_URL or not REDIS_URL else 0)

# --- API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "memesite.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "memesite.api.ErrorDocumentingSchema",
    "EXCEPTION_HANDLER": "memesite.api.exception_handler",
    # Clients are told apart by the connection's address; behind N trusted proxies set NUM_PROXIES=N so that the
    # last N X-Forwarded-For entries are believed, and never more (a client could name any address there).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Every call counts per anonymous address and per user; making memes and voting have rates of their own.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "memesite.throttling.ActionRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="300/minute"),
        "user": env("THROTTLE_USER", default="1200/minute"),
        "vote": env("THROTTLE_VOTE", default="120/minute"),
        "signup": env("THROTTLE_SIGNUP", default="20/hour"),
        "login": env("THROTTLE_LOGIN", default="20/minute"),
        "generate": env("THROTTLE_GENERATE", default="60/minute"),
        "render": env("THROTTLE_RENDER", default="60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Slowmeme API",
    "DESCRIPTION": "Make, caption and browse memes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Requests and responses as separate components: uploads are binary, required text is non-empty.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set: a job's kind and a meme's source; a template's expression and a corrected label.
    "ENUM_NAME_OVERRIDES": {
        "MemeSourceEnum": "memes.models.Meme.Source",
        "ExpressionEnum": "memes.models.EXPRESSIONS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"daphne": {"level": "WARNING"}},
}
