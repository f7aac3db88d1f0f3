FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/chiso /usr/local/bin/chiso
COPY questionnaires ./questionnaires
EXPOSE 8080
ENTRYPOINT ["chiso"]
CMD ["serve", "--bind", "0.0.0.0:8080"]
