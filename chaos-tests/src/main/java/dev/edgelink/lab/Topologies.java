package dev.edgelink.lab;

import java.util.ArrayList;
import java.util.List;

/** The topologies the issues ask for, built with the lab's primitives. */
public final class Topologies {
    private Topologies() {
    }

    /**
     * Issue 3: nodes n1 and n2 on one L2 segment, n3 on another subnet behind router r; every node can reach every
     * other directly (no NAT).
     *
     * <pre>
     *   n1 10.1.0.11 --+                          +-- n3 10.2.0.13
     *                  +-- lan 10.1.0.0/24 -- r --+    far 10.2.0.0/24
     *   n2 10.1.0.12 --+     (10.1.0.1)  (10.2.0.1)
     * </pre>
     *
     * @param lan the shared segment of n1 and n2
     * @param far the segment of n3
     * @param n1 node on lan
     * @param n2 node on lan
     * @param router the router between lan and far
     * @param n3 node on far
     */
    public record Direct(Segment lan, Segment far, Node n1, Node n2, Router router, Node n3) {
        /** n1, n2, n3. */
        public List<Node> nodes() {
            return List.of(n1, n2, n3);
        }
    }

    /** Builds {@link Direct} in {@code lab}. */
    public static Direct direct(Lab lab) {
        Segment lan = lab.segment("lan", "10.1.0.0/24");
        Segment far = lab.segment("far", "10.2.0.0/24");
        Router r = lab.router("r");
        r.attach(lan, "10.1.0.1");
        r.attach(far, "10.2.0.1");
        Node n1 = lab.node("n1");
        n1.attach(lan, "10.1.0.11");
        n1.defaultRoute("10.1.0.1");
        Node n2 = lab.node("n2");
        n2.attach(lan, "10.1.0.12");
        n2.defaultRoute("10.1.0.1");
        Node n3 = lab.node("n3");
        n3.attach(far, "10.2.0.13");
        n3.defaultRoute("10.2.0.1");
        return new Direct(lan, far, n1, n2, r, n3);
    }

    /**
     * Issue 4: two sites, each a LAN with two nodes behind a NAT router, and a cloud node with a public address,
     * all on an "internet" segment (198.18.0.0/24, the benchmark range) that carries only public addresses.
     *
     * <pre>
     *                      inet 198.18.0.0/24
     *        198.18.0.1 a-rtr    cloud 198.18.0.3    b-rtr 198.18.0.2
     *   (NAT) lan-a 10.1.0.1/24                     lan-b 10.2.0.1/24 (NAT)
     *       a-n1 .11   a-n2 .12                  b-n1 .11   b-n2 .12
     * </pre>
     *
     * @param inet the public segment
     * @param lanA site A's LAN
     * @param lanB site B's LAN
     * @param routerA site A's NAT router
     * @param routerB site B's NAT router
     * @param a1 a node at site A
     * @param a2 a node at site A
     * @param b1 a node at site B
     * @param b2 a node at site B
     * @param cloud the public node (relay, bootstrap)
     */
    public record Sites(Segment inet, Segment lanA, Segment lanB, Router routerA, Router routerB, Node a1, Node a2,
            Node b1, Node b2, Node cloud) {
        /** The five nodes (without the routers). */
        public List<Node> nodes() {
            return List.of(a1, a2, b1, b2, cloud);
        }
    }

    /** Builds {@link Sites} with NAT modes {@code natA} and {@code natB}. */
    public static Sites sites(Lab lab, NatMode natA, NatMode natB) {
        Segment inet = lab.segment("inet", "198.18.0.0/24");
        Segment lanA = lab.segment("lan-a", "10.1.0.0/24");
        Segment lanB = lab.segment("lan-b", "10.2.0.0/24");
        Router ra = site(lab, "a-rtr", inet, "198.18.0.1", lanA, "10.1.0.1", natA);
        Router rb = site(lab, "b-rtr", inet, "198.18.0.2", lanB, "10.2.0.1", natB);
        Node cloud = lab.node("cloud");
        cloud.attach(inet, "198.18.0.3");
        return new Sites(inet, lanA, lanB, ra, rb, lanNode(lab, "a-n1", lanA, "10.1.0.11", "10.1.0.1"),
                lanNode(lab, "a-n2", lanA, "10.1.0.12", "10.1.0.1"),
                lanNode(lab, "b-n1", lanB, "10.2.0.11", "10.2.0.1"),
                lanNode(lab, "b-n2", lanB, "10.2.0.12", "10.2.0.1"), cloud);
    }

    private static Router site(Lab lab, String name, Segment inet, String wan, Segment lan, String gw, NatMode m) {
        Router r = lab.router(name);
        r.attach(inet, wan);
        r.attach(lan, gw);
        r.nat(inet, m);
        return r;
    }

    private static Node lanNode(Lab lab, String name, Segment lan, String address, String gw) {
        Node n = lab.node(name);
        n.attach(lan, address);
        n.defaultRoute(gw);
        return n;
    }

    /**
     * {@link Sites} with a second public node {@code relay2} on inet (198.18.0.4), so that two relays serve the
     * sites and one can fail.
     *
     * @param sites the sites topology
     * @param relay2 the second public node
     */
    public record SitesTwoRelays(Sites sites, Node relay2) {
        /** a-n1, a-n2, b-n1, b-n2, cloud, relay2. */
        public List<Node> nodes() {
            List<Node> out = new ArrayList<>(sites.nodes());
            out.add(relay2);
            return List.copyOf(out);
        }
    }

    /** Builds {@link SitesTwoRelays}: {@link #sites} plus relay2 at 198.18.0.4 on inet. */
    public static SitesTwoRelays sitesTwoRelays(Lab lab, NatMode natA, NatMode natB) {
        Sites s = sites(lab, natA, natB);
        Node relay2 = lab.node("relay2");
        relay2.attach(s.inet(), "198.18.0.4");
        return new SitesTwoRelays(s, relay2);
    }

    /**
     * Issue 10 at lab size: {@link #sites}' two NAT'd sites with {@code perSite} nodes each and {@code cloudNodes}
     * public nodes on inet, for a fleet of real agents (one namespace each) whose connections can be counted.
     *
     * <pre>
     *                            inet 198.18.0.0/24
     *        198.18.0.1 a-rtr    cloud1 .3  cloud2 .4 ...    b-rtr 198.18.0.2
     *   (NAT) lan-a 10.1.0.1/24                             lan-b 10.2.0.1/24 (NAT)
     *       a-n1 .11 ... a-nK .(10+K)                  b-n1 .11 ... b-nK .(10+K)
     * </pre>
     *
     * @param inet the public segment
     * @param lanA site A's LAN
     * @param lanB site B's LAN
     * @param routerA site A's NAT router
     * @param routerB site B's NAT router
     * @param siteA the nodes at site A, a-n1 first
     * @param siteB the nodes at site B, b-n1 first
     * @param cloud the public nodes, cloud1 first
     */
    public record Fleet(Segment inet, Segment lanA, Segment lanB, Router routerA, Router routerB, List<Node> siteA,
            List<Node> siteB, List<Node> cloud) {
        public Fleet {
            siteA = List.copyOf(siteA);
            siteB = List.copyOf(siteB);
            cloud = List.copyOf(cloud);
        }

        /** The cloud nodes, then site A's, then site B's (without the routers). */
        public List<Node> nodes() {
            List<Node> out = new ArrayList<>(cloud);
            out.addAll(siteA);
            out.addAll(siteB);
            return List.copyOf(out);
        }

        /** Site A's nodes, then site B's. */
        public List<Node> siteNodes() {
            List<Node> out = new ArrayList<>(siteA);
            out.addAll(siteB);
            return List.copyOf(out);
        }
    }

    /** The most nodes {@link #fleet} puts at one site or in the cloud (their addresses stay below .255). */
    public static final int FLEET_MAX_PER_GROUP = 200;

    /**
     * Builds {@link Fleet}: routers as in {@link #sites} (a-rtr 198.18.0.1 with NAT mode {@code natA}, b-rtr
     * 198.18.0.2 with {@code natB}), a-n{i} at 10.1.0.(10+i), b-n{i} at 10.2.0.(10+i), cloud{i} at 198.18.0.(2+i)
     * with no default route.
     */
    public static Fleet fleet(Lab lab, int perSite, int cloudNodes, NatMode natA, NatMode natB) {
        if (perSite < 1 || perSite > FLEET_MAX_PER_GROUP || cloudNodes < 1 || cloudNodes > FLEET_MAX_PER_GROUP) {
            throw new IllegalArgumentException("a fleet needs 1.." + FLEET_MAX_PER_GROUP + " nodes per site and in "
                    + "the cloud: " + perSite + " per site, " + cloudNodes + " in the cloud");
        }
        Segment inet = lab.segment("inet", "198.18.0.0/24");
        Segment lanA = lab.segment("lan-a", "10.1.0.0/24");
        Segment lanB = lab.segment("lan-b", "10.2.0.0/24");
        Router ra = site(lab, "a-rtr", inet, "198.18.0.1", lanA, "10.1.0.1", natA);
        Router rb = site(lab, "b-rtr", inet, "198.18.0.2", lanB, "10.2.0.1", natB);
        List<Node> cloud = new ArrayList<>();
        for (int i = 1; i <= cloudNodes; i++) {
            Node c = lab.node("cloud" + i);
            c.attach(inet, "198.18.0." + (2 + i));
            cloud.add(c);
        }
        List<Node> a = new ArrayList<>();
        List<Node> b = new ArrayList<>();
        for (int i = 1; i <= perSite; i++) {
            a.add(lanNode(lab, "a-n" + i, lanA, "10.1.0." + (10 + i), "10.1.0.1"));
            b.add(lanNode(lab, "b-n" + i, lanB, "10.2.0." + (10 + i), "10.2.0.1"));
        }
        return new Fleet(inet, lanA, lanB, ra, rb, a, b, cloud);
    }
}
