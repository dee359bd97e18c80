# syntax=docker/dockerfile:1
#
# llm-mcp in a container: every binary, statically linked against musl, in an image that holds
# nothing else but the CA certificates the HTTPS clients need. The default command is the
# supervisor on stdio, so an MCP client runs it as
#   docker run -i --rm -e ANTHROPIC_API_KEY ghcr.io/OWNER/llm-mcp
# (-i keeps stdin open: stdin/stdout are the MCP channel; -e NAME passes a key from the
# caller's environment without writing it anywhere).
#
#   docker build -t llm-mcp .

# --- build: Alpine's Rust targets musl, so its binaries need no libc at run time.
FROM rust:1-alpine AS build
# build-base (a C compiler, make, musl-dev), cmake and perl build aws-lc-sys, rustls's crypto.
RUN apk add --no-cache build-base cmake perl ca-certificates
WORKDIR /src
# The manifests first, so the dependency layer is reused when only the sources change.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY servers ./servers
COPY benches ./benches
COPY tests ./tests
COPY examples ./examples
COPY README.md ./
# The size-optimised profile, as for the published archives.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist --bins \
 && mkdir /out \
 && for bin in llm-mcp llm-mcp-anthropic llm-mcp-openai llm-mcp-ollama llm-mcp-gemini \
               llm-mcp-mistral llm-mcp-mock; do cp "target/dist/$bin" /out/; done

# --- run: no shell, no package manager; one unprivileged user.
FROM scratch
# The MCP Registry matches this label against server.json's name (registry docs: "Package Types").
LABEL io.modelcontextprotocol.server.name="io.github.llm-mcp/llm-mcp"
LABEL org.opencontainers.image.title="llm-mcp" \
      org.opencontainers.image.description="LLM providers as small stdio MCP servers" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/ /usr/local/bin/
# rustls reads the system roots from here; `serve` finds its backends beside itself or on PATH.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/bin
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/llm-mcp"]
CMD ["serve"]
