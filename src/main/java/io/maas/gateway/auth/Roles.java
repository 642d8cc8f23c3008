package io.maas.gateway.auth;

/** The role names used by every endpoint's access rule (the same names as the Keycloak realm roles). */
public final class Roles {
    public static final String PLATFORM_ADMIN = "platform-admin";
    public static final String TENANT_ADMIN = "tenant-admin";
    public static final String TENANT_MEMBER = "tenant-member";
    public static final String PROVIDER = "provider";

    private Roles() {
    }
}
