# One image for every process: web, bot and worker differ only in their command.
# scripts/production-smoke (run by .ci/run) installs exactly what this copies, the same way, and
# starts web, worker and bot from it: keep the two in agreement.
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY oppscout ./oppscout
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 scout
WORKDIR /app
COPY --from=build --chown=scout:scout /app /app
ENV PATH=/app/.venv/bin:$PATH OPPSCOUT_DATA_DIR=/data
RUN mkdir /data && chown scout:scout /data
USER scout
VOLUME ["/data"]
CMD ["oppscout", "worker"]
