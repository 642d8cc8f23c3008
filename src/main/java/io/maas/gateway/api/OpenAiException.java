package io.maas.gateway.api;

import java.util.Map;

/** An error answered to the client as an OpenAI error object with this status, type, param and code. */
public class OpenAiException extends RuntimeException {
    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String AUTHENTICATION = "authentication_error";
    public static final String PERMISSION = "permission_error";
    public static final String RATE_LIMIT = "rate_limit_error";
    public static final String SERVER = "server_error";

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public OpenAiException(int status, String type, String message, String param, String code) {
        this(status, type, message, param, code, Map.of());
    }

    public OpenAiException(int status, String type, String message, String param, String code,
            Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = headers;
    }

    public static OpenAiException invalidRequest(String message, String param) {
        return new OpenAiException(400, INVALID_REQUEST, message, param, null);
    }

    public static OpenAiException invalidValue(String message, String param) {
        return new OpenAiException(400, INVALID_REQUEST, message, param, "invalid_value");
    }

    public static OpenAiException modelNotFound(String model) {
        return new OpenAiException(404, INVALID_REQUEST,
                "The model '" + model + "' does not exist or you do not have access to it.", "model", "model_not_found");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
