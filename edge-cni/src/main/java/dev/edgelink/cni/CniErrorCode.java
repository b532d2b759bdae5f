package dev.edgelink.cni;

/**
 * The error codes a CNI error result carries ({@code "code"}), and the one place where a failure kind becomes a
 * number. 0-99 are the spec's (SPEC.md 1.1.0, "Error"; 50 and 51 only for STATUS); 100 and up are edgelink's own.
 */
public enum CniErrorCode {
    /** 1: the configuration's {@code cniVersion} is not one we speak, or the command needs a newer version. */
    INCOMPATIBLE_VERSION(1),
    /** 2: a field we do not support (the message names the key and its value), e.g. an {@code ipam} section. */
    UNSUPPORTED_FIELD(2),
    /** 3: the container (its network namespace) does not exist; nothing was set up, so no cleanup is needed. */
    UNKNOWN_CONTAINER(3),
    /** 4: a CNI_* environment variable is missing or invalid (the message names it). */
    INVALID_ENVIRONMENT(4),
    /** 5: I/O failed: reading stdin, the IPAM store on disk. */
    IO_FAILURE(5),
    /** 6: the bytes could not be decoded (not JSON, not an object). */
    DECODING_FAILURE(6),
    /** 7: the configuration decodes but a field is missing or wrong (the message names the field). */
    INVALID_NETWORK_CONFIG(7),
    /**
     * 11: a transient condition; the runtime should retry: the agent is not reachable or busy, or the pod CIDR has
     * no free address (it frees up when pods are deleted).
     */
    TRY_AGAIN_LATER(11),
    /** 50 (STATUS only): the plugin cannot serve ADD now (agent down, pod CIDR exhausted). */
    NOT_AVAILABLE(50),
    /** 51 (STATUS only): not available, and existing pods may have limited connectivity. */
    NOT_AVAILABLE_DEGRADED(51),
    /** 100: the launcher in the CNI bin dir was not installed (its java path placeholders are still there). */
    LAUNCHER_NOT_INSTALLED(100),
    /** 101: the agent's answer on the socket did not follow the protocol (version skew between client and agent). */
    AGENT_PROTOCOL(101),
    /** 102: the kernel refused a step of the pod plumbing (netlink error; details carry the errno). */
    KERNEL_REFUSED(102),
    /** 103: the requested address (CNI_ARGS {@code IP=} or runtimeConfig {@code ips}) is taken or not usable. */
    ADDRESS_UNAVAILABLE(103),
    /** 104: an interface named CNI_IFNAME already exists in the pod (ADD must fail then, says the spec). */
    INTERFACE_EXISTS(104),
    /** 105: CHECK found the pod's network not as ADD left it (details list every difference). */
    CHECK_FAILED(105),
    /** 999: a bug in edgelink (the same number libcni uses for internal errors). */
    INTERNAL(999);

    private final int code;

    CniErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The enum for a number, or {@link #INTERNAL} when the number is not one of ours. */
    public static CniErrorCode of(int code) {
        for (CniErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL;
    }
}
