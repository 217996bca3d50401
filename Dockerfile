# dustlab as a container image (the README's Kubernetes example runs it):
#   docker build -t your-registry/dustlab .
# Multi-stage: the release binary is built with the pinned toolchain's image, then copied onto
# a slim Debian base with the scenarios and the bundled sample under /work.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin dustlab

FROM debian:bookworm-slim
RUN useradd --create-home dustlab
COPY --from=build /src/target/release/dustlab /usr/local/bin/dustlab
COPY scenarios /work/scenarios
COPY data /work/data
WORKDIR /work
USER dustlab
ENTRYPOINT []
CMD ["dustlab", "--help"]
