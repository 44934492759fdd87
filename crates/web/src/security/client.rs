//! Who the client is: its address (the TCP peer, or a local proxy's last `X-Forwarded-For` entry) and browser.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

/// The client's address, if the server runs with connect info.
///
/// A proxy on the same host (loopback peer) is trusted to append the address it saw to `X-Forwarded-For`;
/// only that last entry is used, since anything before it was written by the client and may be forged.
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    client_addr_of(&parts.extensions, &parts.headers)
}

/// [`client_addr`] from a request's extensions and headers.
pub fn client_addr_of(extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()?
        .0
        .ip()
        .to_canonical();
    if peer.is_loopback() {
        if let Some(forwarded) = forwarded_for(headers) {
            return Some(forwarded);
        }
    }
    Some(peer)
}

fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    let last = last_header.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// What throttles and rate limits count by: an IPv4 address as it is, an IPv6 address by its /64
/// (one household or server usually holds a whole /64, so single addresses would be free to rotate).
pub fn throttle_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

/// A short, coarse description of a browser for the session list, e.g. "Firefox, Windows".
/// Only these words are stored, never the whole `User-Agent` header.
pub fn user_agent_summary(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.contains("curl/") || ua.contains("reqwest") {
        "Programm"
    } else {
        "?"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        "?"
    };
    format!("{browser}, {system}")
}

/// The client's address as an extractor that never fails.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, xff: &[&'static str]) -> Parts {
        let mut b = Request::builder();
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let (mut p, _) = b.body(()).unwrap().into_parts();
        if let Ok(addr) = peer.parse::<SocketAddr>() {
            p.extensions.insert(ConnectInfo(addr));
        }
        p
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_local_proxy_and_only_its_last_entry() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            client_addr(&parts("127.0.0.1:5000", &["6.6.6.6, 203.0.113.7"])),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_addr(&parts("127.0.0.1:5000", &["6.6.6.6", "203.0.113.8"])),
            ip("203.0.113.8")
        );
        assert_eq!(
            client_addr(&parts("198.51.100.4:5000", &["203.0.113.7"])),
            ip("198.51.100.4"),
            "a remote peer cannot claim another address"
        );
        assert_eq!(
            client_addr(&parts("127.0.0.1:5000", &["garbage"])),
            ip("127.0.0.1")
        );
        assert_eq!(client_addr(&parts("none", &[])), None);
        assert_eq!(
            client_addr(&parts("[::ffff:192.0.2.1]:80", &[])),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn user_agents_shrink_to_browser_and_system() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(user_agent_summary(firefox), "Firefox, Windows");
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(user_agent_summary(edge), "Edge, Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(user_agent_summary(iphone), "Safari, iOS");
        assert_eq!(user_agent_summary(""), "?, ?");
    }

    #[test]
    fn ipv6_addresses_count_per_slash_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(throttle_key(a), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(IpAddr::from([192, 0, 2, 1])), "192.0.2.1");
    }
}
