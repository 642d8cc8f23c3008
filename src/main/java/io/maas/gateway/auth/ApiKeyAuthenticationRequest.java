package io.maas.gateway.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** An API key presented as a bearer token, on its way to {@link ApiKeyIdentityProvider}. */
public final class ApiKeyAuthenticationRequest extends BaseAuthenticationRequest {
    private final String secret;

    public ApiKeyAuthenticationRequest(String secret) {
        this.secret = secret;
    }

    public String secret() {
        return secret;
    }

    @Override
    public String toString() {
        return "ApiKeyAuthenticationRequest[secret=<redacted>]";
    }
}
