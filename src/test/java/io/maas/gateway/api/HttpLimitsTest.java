package io.maas.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.testing.EmbeddedServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Body and header bounds over a raw socket, byte by byte: an oversized body (declared or chunked) is a 413
 * and oversized headers a 431, each with an OpenAI error object, not the HTTP layer's empty answer.
 */
@QuarkusTest
@QuarkusTestResource(value = EmbeddedServicesResource.class, restrictToAnnotatedClass = false)
class HttpLimitsTest {
    private static final String AUTH = "Authorization: Bearer " + EmbeddedServicesResource.ADMIN_KEY + "\r\n";
    /** quarkus.http.limits.max-body-size in application.properties. */
    private static final int BODY_LIMIT = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    /** A raw response: status, lower-cased header block, body. */
    record Raw(int status, String head, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    @Test
    void declaredBodyOverTheBoundIs413ErrorObjectBeforeTheBodyIsSent() throws IOException {
        Raw raw = exchange(socket -> {
            // Only the head: the server must answer from Content-Length alone, without reading a byte of body.
            write(socket, "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                    + "Content-Type: application/json\r\nContent-Length: " + (BODY_LIMIT + 1) + "\r\n"
                    + "x-request-id: big-body-1\r\n\r\n");
        });
        assertEquals(413, raw.status());
        assertTrue(raw.head().contains("content-type: application/json"), raw.head());
        assertTrue(raw.head().contains("connection: close"), raw.head());
        assertTrue(raw.head().contains("x-request-id: big-body-1"), raw.head());
        JsonNode error = raw.json().path("error");
        assertEquals("invalid_request_error", error.path("type").asText());
        assertEquals("request_too_large", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("1048576 bytes"), error.toString());
        assertTrue(error.path("message").asText().contains("(request id big-body-1)"), error.toString());
    }

    @Test
    void aClientStillSendingItsOversizedBodyCanFinishAndReadThe413() throws IOException {
        // Most clients send the whole body without waiting for an early answer. The server answers from the
        // declared length, then reads and drops the body before closing: closing at once would reset the
        // connection under the client's writes, and it would report a broken pipe instead of the 413.
        byte[] body = ("{\"prompt\":\"" + "a".repeat(BODY_LIMIT + 100_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
        Raw raw = exchange(socket -> {
            write(socket, "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n");
            try {
                Thread.sleep(300); // the answer is sent meanwhile; the body comes late, as from a slow client
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            OutputStream out = socket.getOutputStream();
            for (int off = 0; off < body.length; off += 16 * 1024) {
                out.write(body, off, Math.min(16 * 1024, body.length - off));
            }
            out.flush();
        });
        assertEquals(413, raw.status());
        assertEquals("request_too_large", raw.json().path("error").path("code").asText());
    }

    @Test
    void chunkedBodyOverTheBoundIs413ErrorObject() throws IOException {
        byte[] chunk = "a".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        Raw raw = exchange(socket -> {
            write(socket, "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            OutputStream out = socket.getOutputStream();
            // 17 chunks of 64 KiB pass the 1 MiB bound by 64 KiB; then stop and read the answer.
            for (int i = 0; i < BODY_LIMIT / chunk.length + 1; i++) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
        });
        assertEquals(413, raw.status());
        assertTrue(raw.head().contains("content-type: application/json"), raw.head());
        assertEquals("request_too_large", raw.json().path("error").path("code").asText());
    }

    @Test
    void chunkedBodyWithinTheBoundIsServed() throws IOException {
        String body = "{\"model\":\"demo-tiny\",\"prompt\":\"hello\",\"max_tokens\":1}";
        Raw raw = exchange(socket -> {
            write(socket, "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            // Two chunks, then the last (empty) chunk.
            String first = body.substring(0, 20);
            String second = body.substring(20);
            write(socket, Integer.toHexString(first.length()) + "\r\n" + first + "\r\n"
                    + Integer.toHexString(second.length()) + "\r\n" + second + "\r\n0\r\n\r\n");
        });
        assertEquals(200, raw.status(), raw.body());
        assertEquals("text_completion", raw.json().path("object").asText());
        assertEquals(1, raw.json().path("usage").path("completion_tokens").asInt());
    }

    @Test
    void headersOverTheBoundAre431ErrorObject() throws IOException {
        // maas.http.max-header-size is 16K; 20K of header is refused by the application, not by Netty (64K).
        Raw raw = exchange(socket -> write(socket, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                + "X-Padding: " + "p".repeat(20_000) + "\r\n\r\n"));
        assertEquals(431, raw.status());
        assertTrue(raw.head().contains("content-type: application/json"), raw.head());
        JsonNode error = raw.json().path("error");
        assertEquals("request_headers_too_large", error.path("code").asText());
        assertEquals("invalid_request_error", error.path("type").asText());
    }

    @Test
    void headersJustWithinTheBoundAreServed() throws IOException {
        Raw raw = exchange(socket -> write(socket, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n" + AUTH
                + "Connection: close\r\nX-Padding: " + "p".repeat(12_000) + "\r\n\r\n"));
        assertEquals(200, raw.status(), raw.body());
    }

    interface Send {
        void to(Socket socket) throws IOException;
    }

    private Raw exchange(Send send) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", base.getPort())) {
            socket.setSoTimeout(60_000);
            send.to(socket);
            return read(socket.getInputStream());
        }
    }

    private static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads one response to the end of the connection (every exchange here ends with the server closing). */
    private static Raw read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            all.write(buffer, 0, n);
        }
        String text = all.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        assertTrue(end > 0, "a complete response head: " + text);
        String head = text.substring(0, end).toLowerCase(Locale.ROOT);
        String body = text.substring(end + 4);
        if (head.contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        int status = Integer.parseInt(head.substring(9, 12));
        return new Raw(status, head, body);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
