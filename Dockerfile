# mockprove and the contract-test kit in one small image.
#
#   docker build -t mockprove .
#   docker run --rm -p 8080:8080 mockprove                      # Prove's API on :8080
#   docker run --rm --network host --entrypoint contracts mockprove verify -target http://127.0.0.1:8080
#
# Two static binaries (CGO_ENABLED=0) on distroless/static: no shell, no
# package manager, a non-root user. The default personas and the OpenAPI
# documents are embedded in the binaries (specs/ is go:embed), so nothing
# else is copied. The health check is the contracts binary itself (the image
# has no curl); it fetches an OpenAPI document, which mockprove serves
# whatever its control API settings.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mockprove ./mockprove/cmd/mockprove && \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/contracts ./contracts/cmd/contracts

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mockprove /out/contracts /usr/local/bin/
# distroless's "nonroot" user, by number so that runAsNonRoot can check it.
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/contracts", "health", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/mockprove"]
CMD ["-addr", "0.0.0.0:8080"]
