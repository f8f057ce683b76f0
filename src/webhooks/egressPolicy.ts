import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';
type Subnet = readonly [address: string, prefix: number, family: Family];

const familyOf = (address: string): Family => (isIP(address) === 4 ? 'ipv4' : 'ipv6');

/**
 * Subnets that match only addresses of their own family: node's BlockList alone would match an IPv4 address
 * against IPv6 rules through its IPv4-mapped form (so `::/8` would match every IPv4 address).
 */
function blockList(subnets: readonly Subnet[]): { check(address: string): boolean } {
  const lists = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const [address, prefix, family] of subnets) lists[family].addSubnet(address, prefix, family);
  return { check: (address) => lists[familyOf(address)].check(address, familyOf(address)) };
}

/**
 * Addresses a tenant's webhook may not reach unless the operator allows them, each with the reason a refusal
 * names. Checked in this order, so the most specific reason wins (the metadata address is also link-local, the
 * broadcast address also reserved).
 */
const refusedRanges: ReadonlyArray<{ reason: string; list: ReturnType<typeof blockList> }> = [
  { reason: 'cloud metadata address', list: blockList([['169.254.169.254', 32, 'ipv4'], ['fd00:ec2::254', 128, 'ipv6']]) },
  { reason: 'unspecified address', list: blockList([['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']]) },
  { reason: 'loopback address', list: blockList([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']]) },
  { reason: 'private address', list: blockList([['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4']]) },
  { reason: 'link-local address', list: blockList([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']]) },
  { reason: 'unique-local address', list: blockList([['fc00::', 7, 'ipv6']]) },
  { reason: 'shared (CGNAT) address', list: blockList([['100.64.0.0', 10, 'ipv4']]) },
  { reason: 'multicast address', list: blockList([['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']]) },
  { reason: 'broadcast address', list: blockList([['255.255.255.255', 32, 'ipv4']]) },
  {
    reason: 'reserved address',
    list: blockList([
      ['192.0.0.0', 24, 'ipv4'],
      ['192.0.2.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['::', 8, 'ipv6'],
      ['100::', 64, 'ipv6'],
      ['2001:db8::', 32, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
    ]),
  },
  {
    // 6to4 and Teredo relay to IPv4 addresses this check does not see: refused outright (local-use NAT64,
    // 64:ff9b:1::/48, is in ::/8 above).
    reason: 'IPv6 transition address (it may relay to an internal IPv4 address)',
    list: blockList([
      ['2002::', 16, 'ipv6'],
      ['2001::', 32, 'ipv6'],
    ]),
  },
];

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits: IPv4-mapped and NAT64's well-known prefix. */
const ipv4Carriers = blockList([['::ffff:0:0', 96, 'ipv6'], ['64:ff9b::', 96, 'ipv6']]);

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad counts as two). */
function ipv6Groups(address: string): number[] {
  const dotted = address.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  const text = dotted
    ? `${dotted[1]}${dotted[2].split('.').map(Number).reduce((hex, byte, i) => hex + (i === 2 ? ':' : '') + byte.toString(16).padStart(2, '0'), '')}`
    : address;
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
}

/** The IPv4 address an IPv6 address carries (`::ffff:10.0.0.5`, `64:ff9b::a00:5`), else undefined. */
export function embeddedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6 || !ipv4Carriers.check(address)) return undefined;
  const [, , , , , , high, low] = ipv6Groups(address);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Why `address` (an IP literal) is no webhook target by default; undefined for a public address. */
export function refusalReason(address: string): string | undefined {
  const carried = embeddedIpv4(address);
  if (carried) {
    const reason = refusalReason(carried);
    return reason && `${reason} (IPv4 ${carried} inside IPv6)`;
  }
  return refusedRanges.find(({ list }) => list.check(address))?.reason;
}

const hostnamePattern = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
const canonicalHost = (host: string) => host.trim().toLowerCase().replace(/\.$/, '');

/** One HERA_WEBHOOK_ALLOW entry as a subnet (a CIDR or a single address), or undefined when it is none. */
function subnetOf(entry: string): Subnet | undefined {
  const [address, prefixText, extra] = entry.split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return undefined;
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  const bits = version === 4 ? 32 : 128;
  if (prefixText === undefined) return [address, bits, family];
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return [address, Number(prefixText), family];
}

/** The entries of a HERA_WEBHOOK_ALLOW value that are neither a host name, an address nor a CIDR. */
export function invalidAllowEntries(allow: string): string[] {
  return splitAllow(allow).filter((entry) => !subnetOf(entry) && !hostnamePattern.test(canonicalHost(entry)));
}

const splitAllow = (allow: string) => allow.split(',').map((e) => e.trim()).filter(Boolean);

/** Which internal targets the operator opened (HERA_WEBHOOK_ALLOW): host names, and CIDRs or addresses. */
export interface EgressPolicy {
  /** Why the worker may not send to `address`, which `host` resolved to; undefined when it may. */
  refusal(host: string, address: string): string | undefined;
}

/** The policy of a HERA_WEBHOOK_ALLOW value (unset or empty: only public addresses). */
export function egressPolicy(allow: string | undefined): EgressPolicy {
  const hosts = new Set<string>();
  const subnets: Subnet[] = [];
  for (const entry of splitAllow(allow ?? '')) {
    const subnet = subnetOf(entry);
    if (subnet) subnets.push(subnet);
    else hosts.add(canonicalHost(entry));
  }
  const allowed = blockList(subnets);
  return {
    refusal(host, address) {
      if (hosts.has(canonicalHost(host))) return undefined;
      // An IPv4 address inside IPv6 is judged (and allowed) as the IPv4 address it reaches.
      if (allowed.check(embeddedIpv4(address) ?? address)) return undefined;
      return refusalReason(address);
    },
  };
}
