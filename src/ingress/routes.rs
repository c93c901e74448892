//! The one route table: method, path pattern, what handles the route, and
//! the JWT scope it needs. The router, the gate (the scope it checks), the
//! webhook dispatch, the template test and the OpenAPI document all read
//! it; the older views (`HTTP_ROUTES`, `ROUTE_SCOPES`, `WEBHOOK_ROUTES`) are
//! computed from it.

use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::{Error, Operation, Provider};
use percent_encoding::percent_decode_str;

/// What answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// An API route: routed to this operation, behind the authorizer.
    Api(Operation),
    /// A webhook route: the provider's signed deliveries, no authorizer.
    Webhook(Provider),
}

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// `{name}` segments are path parameters.
    pub path: &'static str,
    pub handler: Handler,
    /// The scope a JWT must carry, after `JWT_SCOPE_PREFIX`; none for webhooks.
    pub scope: Option<&'static str>,
}

const fn api(
    method: &'static str,
    path: &'static str,
    op: Operation,
    scope: &'static str,
) -> Route {
    Route {
        method,
        path,
        handler: Handler::Api(op),
        scope: Some(scope),
    }
}

const fn webhook(path: &'static str, provider: Provider) -> Route {
    Route {
        method: "POST",
        path,
        handler: Handler::Webhook(provider),
        scope: None,
    }
}

/// Every HTTP route the function serves: each routed operation's route
/// (`Operation::ROUTED`, in order), then the two webhooks.
pub const ROUTES: [Route; Operation::ROUTED.len() + 2] = {
    let github = webhook("/webhooks/github", Provider::GitHub);
    let mut out = [github; Operation::ROUTED.len() + 2];
    let mut i = 0;
    while i < Operation::ROUTED.len() {
        let op = Operation::ROUTED[i];
        out[i] = match op.route() {
            Some((method, path, scope)) => api(method, path, op, scope),
            None => panic!("a routed operation without a route"),
        };
        i += 1;
    }
    out[i + 1] = webhook("/webhooks/gitlab", Provider::GitLab);
    out
};

const fn api_count() -> usize {
    let (mut n, mut i) = (0, 0);
    while i < ROUTES.len() {
        if ROUTES[i].scope.is_some() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `(method, path)` of every route, as the template must declare them.
pub const HTTP_ROUTES: [(&str, &str); ROUTES.len()] = {
    let mut out = [("", ""); ROUTES.len()];
    let mut i = 0;
    while i < ROUTES.len() {
        out[i] = (ROUTES[i].method, ROUTES[i].path);
        i += 1;
    }
    out
};

/// `(method, path, scope)` of every API route.
pub const ROUTE_SCOPES: [(&str, &str, &str); api_count()] = {
    let mut out = [("", "", ""); api_count()];
    let (mut i, mut n) = (0, 0);
    while i < ROUTES.len() {
        if let Some(scope) = ROUTES[i].scope {
            out[n] = (ROUTES[i].method, ROUTES[i].path, scope);
            n += 1;
        }
        i += 1;
    }
    out
};

/// `(path, provider)` of every webhook route (`POST` only).
pub const WEBHOOK_ROUTES: [(&str, Provider); ROUTES.len() - api_count()] = {
    let mut out = [("", Provider::GitHub); ROUTES.len() - api_count()];
    let (mut i, mut n) = (0, 0);
    while i < ROUTES.len() {
        if let Handler::Webhook(provider) = ROUTES[i].handler {
            out[n] = (ROUTES[i].path, provider);
            n += 1;
        }
        i += 1;
    }
    out
};

/// A request matched to its route, with its path parameters decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub route: &'static Route,
    /// `(name, value)` in the order of the pattern.
    pub params: Vec<(&'static str, String)>,
}

impl Matched {
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v)
    }
}

/// The route of `method` `path` (a trailing `/` ignored): `NotFound` when
/// no pattern matches, `MethodNotAllowed` (with `Allow`) when one matches
/// for other methods, `InvalidRequest` when a parameter is not valid
/// percent-encoded UTF-8.
pub fn find(method: &str, path: &str) -> Result<Matched, Error> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    let mut allow: Vec<&'static str> = Vec::new();
    for route in &ROUTES {
        let Some(raw) = params_of(route.path, &segments) else {
            continue;
        };
        if route.method != method {
            allow.push(route.method);
            continue;
        }
        let params = raw
            .into_iter()
            .map(|(name, value)| {
                percent_decode_str(value)
                    .decode_utf8()
                    .map(|v| (name, v.into_owned()))
                    .map_err(|_| {
                        Error::invalid_field(
                            name,
                            "path segment is not valid percent-encoded UTF-8",
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        return Ok(Matched { route, params });
    }
    if allow.is_empty() {
        return Err(Error::NotFound {
            path: bounded(path, MAX_SHOWN),
        });
    }
    Err(Error::MethodNotAllowed {
        method: bounded(method, MAX_SHOWN),
        allow,
    })
}

/// The raw parameters of `segments` if they fit `pattern`.
fn params_of<'s>(
    pattern: &'static str,
    segments: &[&'s str],
) -> Option<Vec<(&'static str, &'s str)>> {
    let parts: Vec<&'static str> = pattern.split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => params.push((name, *segment)),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(params)
}

/// The provider whose webhook route `path` is (POST), if it is one.
pub fn provider_for(path: &str) -> Option<Provider> {
    match find("POST", path) {
        Ok(Matched {
            route:
                Route {
                    handler: Handler::Webhook(provider),
                    ..
                },
            ..
        }) => Some(*provider),
        _ => None,
    }
}

/// The scope the route of `method` `path` needs, if it is an API route.
pub fn scope_of(method: &str, path: &str) -> Option<&'static str> {
    find(method, path).ok().and_then(|m| m.route.scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_parameters_decoded() {
        let m = find("GET", "/scans/project-a%2Fb/s-1/").unwrap();
        assert_eq!(
            m.route.handler,
            Handler::Api(Operation::GetCodeSecurityScan)
        );
        assert_eq!(
            (m.param("projectId"), m.param("scanId")),
            ("project-a/b", "s-1")
        );
        assert!(matches!(
            find("GET", "/nowhere"),
            Err(Error::NotFound { .. })
        ));
        match find("DELETE", "/scans") {
            Err(Error::MethodNotAllowed { allow, .. }) => assert_eq!(allow, ["POST"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            find("GET", "/scans/%FF/s"),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn the_views_come_from_the_table() {
        assert_eq!(HTTP_ROUTES.len(), ROUTES.len());
        assert_eq!(ROUTE_SCOPES.len() + WEBHOOK_ROUTES.len(), ROUTES.len());
        assert_eq!(provider_for("/webhooks/gitlab/"), Some(Provider::GitLab));
        assert_eq!(provider_for("/scans"), None);
        assert_eq!(
            scope_of("POST", "/assessment-runs"),
            Some("assessments.start")
        );
        assert_eq!(scope_of("POST", "/webhooks/github"), None);
    }
}
