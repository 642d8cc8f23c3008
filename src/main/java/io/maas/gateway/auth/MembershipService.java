package io.maas.gateway.auth;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;

import io.maas.admin.audit.AuditLog;
import io.maas.app.config.MaasConfig;
import io.maas.gateway.api.OpenAiException;
import io.quarkus.panache.common.Sort;

/**
 * Tenant members (OIDC subject and/or email, one role each): managed by the tenant's admins (platform admins:
 * any tenant's), every change audited in its transaction, every read and write filtered by the caller's tenant
 * (another tenant's member id answers 404). Also the lookup that maps a token without a tenant claim to its
 * tenant and role, cached for {@code maas.auth.member-cache-ttl} and dropped on every change made here.
 */
@ApplicationScoped
public class MembershipService {
    /** Roles a membership can give; platform-admin is never granted through a tenant. */
    public static final List<String> MEMBER_ROLES = List.of(Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.PROVIDER);
    static final int SUBJECT_MAX_CHARS = 255;
    static final int EMAIL_MAX_CHARS = 320;
    private static final Pattern SUBJECT = Pattern.compile("[\\x21-\\x7e]{1," + SUBJECT_MAX_CHARS + "}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");

    /** What a membership gives a token: the tenant and the role. */
    public record Membership(UUID memberId, String tenantId, String role) {
    }

    private record Cached(Optional<Membership> membership, long expiresAtNanos) {
    }

    @Inject
    AuditLog audit;
    @Inject
    MaasConfig config;
    @Inject
    TransactionSynchronizationRegistry transactions;
    @Inject
    VerifiedTokenCache verifiedTokens;

    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /**
     * The membership of a token's principal: by subject first, else by email when the token says the email
     * is verified (an unverified email could be anyone's). Empty when neither matches.
     */
    @Transactional
    public Optional<Membership> lookup(String subject, String verifiedEmail) {
        String email = verifiedEmail == null ? null : verifiedEmail.toLowerCase(Locale.ROOT);
        String key = subject + "\u0000" + email;
        long ttlNanos = config.auth().memberCacheTtl().toNanos();
        long now = System.nanoTime();
        Cached hit = cache.get(key);
        if (hit != null && now - hit.expiresAtNanos() < 0) {
            return hit.membership();
        }
        TenantMemberEntity member = subject == null ? null
                : TenantMemberEntity.<TenantMemberEntity>find("subject", subject).firstResult();
        if (member == null && email != null) {
            member = TenantMemberEntity.<TenantMemberEntity>find("email", email).firstResult();
        }
        Optional<Membership> found = Optional.ofNullable(member)
                .map(m -> new Membership(m.id, m.tenantId, m.role));
        if (ttlNanos > 0) {
            if (cache.size() >= config.auth().keyCacheMaxEntries()) {
                cache.clear();
            }
            cache.put(key, new Cached(found, now + ttlNanos));
        }
        return found;
    }

    @Transactional
    public TenantMemberEntity add(Caller caller, String tenantId, String subject, String email, String role) {
        String tenant = targetTenant(caller, tenantId);
        if (TenantEntity.findById(tenant) == null) {
            throw KeyManagementService.notFound("tenant", tenant);
        }
        String cleanSubject = subject(subject);
        String cleanEmail = email(email);
        if (cleanSubject == null && cleanEmail == null) {
            throw OpenAiException.invalidValue("A member needs a 'subject' (the OIDC sub claim) or an 'email'.",
                    "subject");
        }
        String cleanRole = role(role == null ? Roles.TENANT_MEMBER : role);
        // One principal, one tenant: the answer does not say which tenant holds it.
        if (cleanSubject != null && TenantMemberEntity.count("subject", cleanSubject) > 0) {
            throw conflict("subject");
        }
        if (cleanEmail != null && TenantMemberEntity.count("email", cleanEmail) > 0) {
            throw conflict("email");
        }
        TenantMemberEntity member = new TenantMemberEntity();
        member.id = UUID.randomUUID();
        member.tenantId = tenant;
        member.subject = cleanSubject;
        member.email = cleanEmail;
        member.role = cleanRole;
        member.createdAt = Instant.now();
        member.createdBy = caller.principal();
        member.persist();
        audit.record(caller, "member.add", "member", member.id.toString(), tenant, details(member));
        changed();
        return member;
    }

    /** The members of the caller's tenant (platform admins: of {@code tenantId}, or of every tenant when null). */
    @Transactional
    public List<TenantMemberEntity> list(Caller caller, String tenantId) {
        Sort sort = Sort.ascending("createdAt", "id");
        if (caller.isPlatformAdmin() && (tenantId == null || tenantId.isBlank())) {
            return TenantMemberEntity.listAll(sort);
        }
        return TenantMemberEntity.list("tenantId", sort, targetTenant(caller, tenantId));
    }

    @Transactional
    public TenantMemberEntity get(Caller caller, UUID id) {
        return visibleMember(caller, id);
    }

    @Transactional
    public TenantMemberEntity changeRole(Caller caller, UUID id, String role) {
        TenantMemberEntity member = visibleMember(caller, id);
        if (role == null) {
            throw OpenAiException.invalidValue("'role' is required: one of " + MEMBER_ROLES + ".", "role");
        }
        String cleanRole = role(role);
        if (!cleanRole.equals(member.role)) {
            audit.record(caller, "member.update", "member", member.id.toString(), member.tenantId,
                    Map.of("role", Map.of("from", member.role, "to", cleanRole)));
            member.role = cleanRole;
            changed();
        }
        return member;
    }

    @Transactional
    public void remove(Caller caller, UUID id) {
        TenantMemberEntity member = visibleMember(caller, id);
        audit.record(caller, "member.remove", "member", member.id.toString(), member.tenantId, details(member));
        member.delete();
        changed();
    }

    /** The member if the caller may see it; 404 otherwise, whether it exists in another tenant or not at all. */
    private static TenantMemberEntity visibleMember(Caller caller, UUID id) {
        TenantMemberEntity member = TenantMemberEntity.findById(id);
        if (member == null || !(caller.isPlatformAdmin() || member.tenantId.equals(caller.tenantId()))) {
            throw KeyManagementService.notFound("member", String.valueOf(id));
        }
        return member;
    }

    private static String targetTenant(Caller caller, String requested) {
        if (requested == null || requested.isBlank()) {
            return caller.tenantId();
        }
        if (!caller.isPlatformAdmin() && !requested.equals(caller.tenantId())) {
            throw KeyManagementService.notFound("tenant", requested);
        }
        return requested;
    }

    /**
     * Drops every cached lookup now and once more when the transaction ends (so a lookup racing the change
     * cannot put the old answer back). Other gateways see the change within the TTL.
     */
    private void changed() {
        cache.clear();
        verifiedTokens.clear();
        if (transactions.getTransactionStatus() == Status.STATUS_ACTIVE) {
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    cache.clear();
                    verifiedTokens.clear();
                }
            });
        }
    }

    private static Map<String, Object> details(TenantMemberEntity member) {
        Map<String, Object> details = new LinkedHashMap<>();
        if (member.subject != null) {
            details.put("subject", member.subject);
        }
        if (member.email != null) {
            details.put("email", member.email);
        }
        details.put("role", member.role);
        return details;
    }

    private static String subject(String subject) {
        if (subject == null) {
            return null;
        }
        if (!SUBJECT.matcher(subject).matches()) {
            throw OpenAiException.invalidValue("'subject' must be 1-" + SUBJECT_MAX_CHARS
                    + " printable characters without spaces (the token's sub claim).", "subject");
        }
        return subject;
    }

    private static String email(String email) {
        if (email == null) {
            return null;
        }
        String clean = email.strip().toLowerCase(Locale.ROOT);
        if (clean.length() > EMAIL_MAX_CHARS || !EMAIL.matcher(clean).matches()) {
            throw OpenAiException.invalidValue("'email' must be an email address.", "email");
        }
        return clean;
    }

    private static String role(String role) {
        if (!MEMBER_ROLES.contains(role)) {
            throw OpenAiException.invalidValue("'role' must be one of " + MEMBER_ROLES + ".", "role");
        }
        return role;
    }

    private static OpenAiException conflict(String param) {
        return new OpenAiException(409, OpenAiException.INVALID_REQUEST,
                "This " + param + " is already a member of a tenant (a principal belongs to one tenant).", param,
                "member_exists");
    }
}
