"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

import os

# Numerical work in a request (the Topics page's driver fit) runs on one core: the web processes are the
# parallelism, and OpenBLAS's own threads spin-wait against them on a busy host (the fit took ~10x longer
# at load 17 on 2 cores; benchmarks/explorer.py sets the same). Before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from app import create_app

app = create_app()
