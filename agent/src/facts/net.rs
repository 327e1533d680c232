//! Network facts: interfaces and addresses (getifaddrs, which needs no NSS), the default
//! IPv4 route from /proc/net/route, MAC and MTU from /sys/class/net.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Default, Clone)]
pub struct Iface {
    pub ipv4: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub ipv6: Vec<(Ipv6Addr, u32)>,
}

/// Interface name -> addresses.
pub fn interfaces() -> BTreeMap<String, Iface> {
    let mut out: BTreeMap<String, Iface> = BTreeMap::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we only read and then free exactly once.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned; its pointers are valid or null.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_name.is_null() {
            continue;
        }
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let entry = out.entry(name).or_default();
        if ifa.ifa_addr.is_null() {
            continue;
        }
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET {
            let addr = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
            let mask = if ifa.ifa_netmask.is_null() {
                Ipv4Addr::UNSPECIFIED
            } else {
                let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in) };
                Ipv4Addr::from(u32::from_be(m.sin_addr.s_addr))
            };
            entry
                .ipv4
                .push((Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)), mask));
        } else if family == libc::AF_INET6 {
            let addr = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
            let prefix = if ifa.ifa_netmask.is_null() {
                0
            } else {
                let m = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in6) };
                m.sin6_addr.s6_addr.iter().map(|b| b.count_ones()).sum()
            };
            entry
                .ipv6
                .push((Ipv6Addr::from(addr.sin6_addr.s6_addr), prefix));
        }
    }
    // SAFETY: head came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

/// (interface, gateway) of the lowest-metric default route in /proc/net/route text.
pub fn default_route(route_table: &str) -> Option<(String, Ipv4Addr)> {
    route_table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 || f[1] != "00000000" || f[7] != "00000000" {
                return None;
            }
            let gw = u32::from_str_radix(f[2], 16).ok()?;
            let metric: u32 = f[6].parse().unwrap_or(0);
            // The table holds addresses in host (little-endian) order.
            Some((metric, f[0].to_string(), Ipv4Addr::from(gw.swap_bytes())))
        })
        .min_by_key(|(m, _, _)| *m)
        .map(|(_, i, g)| (i, g))
}

fn sys(iface: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/sys/class/net/{iface}/{file}"))
        .ok()
        .map(|s| s.trim().to_string())
}

fn ipv4_dict(addr: Ipv4Addr, mask: Ipv4Addr) -> Map<String, Value> {
    let m = u32::from(mask);
    let network = Ipv4Addr::from(u32::from(addr) & m);
    let broadcast = Ipv4Addr::from(u32::from(addr) | !m);
    let mut d = Map::new();
    d.insert("address".into(), addr.to_string().into());
    d.insert("netmask".into(), mask.to_string().into());
    d.insert("network".into(), network.to_string().into());
    d.insert("broadcast".into(), broadcast.to_string().into());
    d.insert("prefix".into(), m.count_ones().to_string().into());
    d
}

/// Adds the network facts to `facts`.
pub fn add_facts(facts: &mut Map<String, Value>) {
    let ifaces = interfaces();
    let mut all4 = Vec::new();
    let mut all6 = Vec::new();
    for (name, i) in &ifaces {
        let kind = if name == "lo" { "loopback" } else { "ether" };
        let mut d = Map::new();
        d.insert("device".into(), name.clone().into());
        d.insert(
            "active".into(),
            (sys(name, "operstate").as_deref() != Some("down")).into(),
        );
        d.insert("type".into(), kind.into());
        if let Some(mac) = sys(name, "address") {
            d.insert("macaddress".into(), mac.into());
        }
        if let Some(mtu) = sys(name, "mtu").and_then(|m| m.parse::<u64>().ok()) {
            d.insert("mtu".into(), mtu.into());
        }
        if let Some((a, m)) = i.ipv4.first() {
            d.insert("ipv4".into(), Value::Object(ipv4_dict(*a, *m)));
        }
        let v6: Vec<Value> = i
            .ipv6
            .iter()
            .map(|(a, p)| {
                let scope = if a.is_loopback() {
                    "host"
                } else if (a.segments()[0] & 0xffc0) == 0xfe80 {
                    "link"
                } else {
                    "global"
                };
                json!({"address": a.to_string(), "prefix": p.to_string(), "scope": scope})
            })
            .collect();
        if !v6.is_empty() {
            d.insert("ipv6".into(), v6.into());
        }
        all4.extend(
            i.ipv4
                .iter()
                .filter(|(a, _)| !a.is_loopback())
                .map(|(a, _)| a.to_string()),
        );
        all6.extend(
            i.ipv6
                .iter()
                .filter(|(a, _)| !a.is_loopback())
                .map(|(a, _)| a.to_string()),
        );
        facts.insert(
            format!("ansible_{}", name.replace(['-', ':', '.'], "_")),
            Value::Object(d),
        );
    }
    facts.insert(
        "ansible_interfaces".into(),
        json!(ifaces.keys().collect::<Vec<_>>()),
    );
    facts.insert("ansible_all_ipv4_addresses".into(), json!(all4));
    facts.insert("ansible_all_ipv6_addresses".into(), json!(all6));
    let route = std::fs::read_to_string("/proc/net/route")
        .ok()
        .and_then(|t| default_route(&t));
    let default4 = route
        .and_then(|(iface, gw)| {
            let (addr, mask) = *ifaces.get(&iface)?.ipv4.first()?;
            let mut d = ipv4_dict(addr, mask);
            d.insert("gateway".into(), gw.to_string().into());
            d.insert("interface".into(), iface.clone().into());
            d.insert("alias".into(), iface.clone().into());
            d.insert("type".into(), "ether".into());
            if let Some(mac) = sys(&iface, "address") {
                d.insert("macaddress".into(), mac.into());
            }
            if let Some(mtu) = sys(&iface, "mtu").and_then(|m| m.parse::<u64>().ok()) {
                d.insert("mtu".into(), mtu.into());
            }
            Some(Value::Object(d))
        })
        .unwrap_or_else(|| json!({}));
    facts.insert("ansible_default_ipv4".into(), default4);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_route_picks_lowest_metric() {
        let t =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 eth1\t00000000\t0102A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n\
                 eth0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                 eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        assert_eq!(
            default_route(t),
            Some(("eth0".into(), Ipv4Addr::new(172, 17, 0, 1)))
        );
        assert_eq!(default_route("header\n"), None);
    }

    #[test]
    fn loopback_is_listed() {
        let i = interfaces();
        assert!(i
            .get("lo")
            .is_some_and(|lo| lo.ipv4.iter().any(|(a, _)| a.is_loopback())));
        let d = ipv4_dict(Ipv4Addr::new(10, 1, 2, 3), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(d["network"], "10.1.2.0");
        assert_eq!(d["prefix"], "24");
        assert_eq!(d["broadcast"], "10.1.2.255");
    }
}
