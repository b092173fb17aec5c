# One image for the API and the worker (the command picks which).
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . && useradd --system --uid 10001 atrezzo
USER atrezzo
EXPOSE 8000
CMD ["atrezzo", "api"]
