package dev.edgelink.lab;

/** How a site router maps its LAN to its outside address (see LAB.md "Kernel and NAT"). */
public enum NatMode {
    /**
     * Plain {@code masquerade}: endpoint-independent mapping (source port kept when free), address-and-port
     * dependent filtering; a port-restricted cone. Hole punching works through two of these.
     */
    PRESERVE("masquerade"),
    /** {@code masquerade random}: a hashed port per destination, i.e. a symmetric NAT. Punching fails. */
    RANDOM("masquerade random"),
    /** {@code masquerade fully-random}: a random port per destination, a symmetric NAT. Punching fails. */
    FULLY_RANDOM("masquerade fully-random");

    private final String statement;

    NatMode(String statement) {
        this.statement = statement;
    }

    /** The nft statement. */
    public String statement() {
        return statement;
    }
}
