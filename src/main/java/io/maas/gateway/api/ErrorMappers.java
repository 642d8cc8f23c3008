package io.maas.gateway.api;

import java.util.UUID;

import jakarta.inject.Inject;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.maas.billing.BillingException;
import io.maas.billing.rating.RatingException;
import io.maas.gateway.auth.AuthFailureLimiter;
import io.maas.gateway.auth.AuthenticationRateLimitedException;
import io.maas.gateway.openai.OpenAiError;
import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.ChatTemplateException;
import io.maas.inference.InferenceException;
import io.maas.inference.InvalidGenerationParameterException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;

/** Every error leaves the server once, here, as an OpenAI error object; never as a stack trace. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @Inject
    AuthFailureLimiter failures;

    @ServerExceptionMapper
    public Response openAi(OpenAiException e) {
        Response.ResponseBuilder response = respond(e.status(), e.getMessage(), e.type(), e.param(), e.code());
        e.headers().forEach(response::header);
        return response.build();
    }

    /** Billing refusals: invalid input 400, unknown 404, conflicting state 409. */
    @ServerExceptionMapper
    public Response billing(BillingException e) {
        return switch (e.kind()) {
            case INVALID -> respond(400, e.getMessage(), OpenAiException.INVALID_REQUEST, e.param(), "invalid_value").build();
            case NOT_FOUND -> respond(404, e.getMessage(), OpenAiException.INVALID_REQUEST, e.param(), "not_found").build();
            case CONFLICT -> respond(409, e.getMessage(), OpenAiException.INVALID_REQUEST, e.param(), "conflict").build();
        };
    }

    /** Rating inputs refused by the rating core (tiers, rates, ids, charge model names): 400. */
    @ServerExceptionMapper
    public Response rating(RatingException e) {
        return respond(400, e.getMessage(), OpenAiException.INVALID_REQUEST, null, "invalid_value").build();
    }

    @ServerExceptionMapper
    public Response authenticationRateLimited(AuthenticationRateLimitedException e) {
        return respond(429, "Too many failed authentication attempts from your address; retry after "
                + e.retryAfterSeconds() + " s.", OpenAiException.RATE_LIMIT, null, "too_many_auth_failures")
                .header("Retry-After", String.valueOf(e.retryAfterSeconds())).build();
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e, HttpServerRequest request) {
        // Counted against the source: past maas.auth.failure-limit it gets 429 (AuthFailureLimiter).
        if (request.remoteAddress() != null) {
            failures.recordFailure(request.remoteAddress().hostAddress());
        }
        if (presentedApiKey(request)) {
            return respond(401, "Incorrect API key provided. You can find your API keys in the console.",
                    OpenAiException.INVALID_REQUEST, null, "invalid_api_key")
                    .header("WWW-Authenticate", "Bearer").build();
        }
        // Any other bearer token went to OIDC: say what failed, without echoing the token.
        boolean expired = mentionsExpiry(e);
        return respond(401, expired
                ? "The access token has expired. Get a new token from the identity provider."
                : "The access token is not valid: its signature, issuer or claims could not be verified.",
                OpenAiException.INVALID_REQUEST, null, expired ? "token_expired" : "invalid_token")
                .header("WWW-Authenticate", expired ? "Bearer error=\"invalid_token\", error_description=\"expired\""
                        : "Bearer error=\"invalid_token\"").build();
    }

    private static boolean presentedApiKey(HttpServerRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "bearer ", 0, 7)) {
            return true;
        }
        return header.substring(7).trim().startsWith("sk-");
    }

    /** Whether the failure (or one of its causes) is a token past its expiry, as jose4j and quarkus-oidc word it. */
    static boolean mentionsExpiry(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains("Expiration Time") || message.toLowerCase(java.util.Locale.ROOT)
                    .contains("expired"))) {
                return true;
            }
        }
        return false;
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e, HttpServerRequest request) {
        if (!presentedApiKey(request)) {
            // A bearer token that is not an API key, and no identity provider took it (OIDC is off).
            return respond(401, "This server accepts API keys ('Authorization: Bearer sk-...') and no other"
                    + " bearer tokens.", OpenAiException.INVALID_REQUEST, null, "invalid_api_key")
                    .header("WWW-Authenticate", "Bearer").build();
        }
        return respond(401, "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
                OpenAiException.INVALID_REQUEST, null, "missing_api_key")
                .header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return respond(403, "You are not allowed to perform this request.", OpenAiException.PERMISSION, null,
                "insufficient_permissions").build();
    }

    @ServerExceptionMapper
    public Response contextLength(ContextLengthExceededException e) {
        return respond(400, e.getMessage(), OpenAiException.INVALID_REQUEST, "max_tokens", "context_length_exceeded")
                .build();
    }

    @ServerExceptionMapper
    public Response invalidParameter(InvalidGenerationParameterException e) {
        return respond(400, e.getMessage(), OpenAiException.INVALID_REQUEST, e.param(), "invalid_value").build();
    }

    @ServerExceptionMapper
    public Response chatTemplate(ChatTemplateException e) {
        return respond(400, e.getMessage(), OpenAiException.INVALID_REQUEST, "messages", null).build();
    }

    @ServerExceptionMapper
    public Response inference(InferenceException e) {
        return serverError(e);
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return respond(404, "Unknown request URL. Please check the URL and method.", OpenAiException.INVALID_REQUEST,
                null, "unknown_url").build();
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return respond(405, "This method is not allowed on this URL.", OpenAiException.INVALID_REQUEST, null,
                "method_not_allowed").build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return serverError(e);
        }
        return respond(status, e.getMessage(), OpenAiException.INVALID_REQUEST, null, null).build();
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        return serverError(e);
    }

    private static Response serverError(Exception e) {
        String errorId = UUID.randomUUID().toString();
        LOG.errorf(e, "request failed (error id %s)", errorId);
        return respond(500, "The server had an error while processing your request (error id " + errorId + ").",
                OpenAiException.SERVER, null, null).build();
    }

    private static Response.ResponseBuilder respond(int status, String message, String type, String param, String code) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(OpenAiError.of(message, type, param, code));
    }
}
