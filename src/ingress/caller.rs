//! Who sent an HTTP request, as API Gateway established it: the IAM
//! principal or the JWT's issuer, subject and scopes; the API request id and
//! the client's address, for the log.

use crate::domain::gate::Principal;
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
};
use serde_json::Value;

/// The caller an HTTP API (or function URL) authorizer context names: an
/// IAM principal, a JWT's issuer and subject, or a Lambda authorizer's
/// `principalId` in its context.
fn identity(a: &ApiGatewayRequestAuthorizer) -> Option<(Principal, String)> {
    if let Some(arn) = a.iam.as_ref().and_then(|i| i.user_arn.as_deref()) {
        return Some((Principal::Iam, format!("iam:{arn}")));
    }
    if let Some(jwt) = &a.jwt {
        let (iss, sub) = (jwt.claims.get("iss")?, jwt.claims.get("sub")?);
        return Some((Principal::Jwt, format!("jwt:{iss} {sub}")));
    }
    lambda_principal(&a.fields)
}

/// A Lambda authorizer's principal: its `principalId` (REST API), or the
/// same key in the context it returned (HTTP API `authorizer.lambda`).
fn lambda_principal(
    fields: &std::collections::HashMap<String, Value>,
) -> Option<(Principal, String)> {
    let id = fields
        .get("principalId")?
        .as_str()
        .filter(|p| !p.is_empty())?;
    Some((Principal::Authorizer, format!("authorizer:{id}")))
}

/// A REST API authorizer (payload 1.0): a Cognito user pool authorizer's
/// `claims`, read like an HTTP API JWT's, or a Lambda authorizer's
/// `principalId`.
fn v1_authorizer(a: &ApiGatewayRequestAuthorizer) -> Option<(Principal, String)> {
    if let Some(claims) = a.fields.get("claims").and_then(Value::as_object) {
        let text = |k: &str| claims.get(k).and_then(Value::as_str);
        if let (Some(iss), Some(sub)) = (text("iss"), text("sub")) {
            return Some((Principal::Jwt, format!("jwt:{iss} {sub}")));
        }
    }
    lambda_principal(&a.fields)
}

/// A Cognito authorizer's scopes (the access token's `scope` claim), when
/// it ran.
fn v1_scopes(a: &ApiGatewayRequestAuthorizer) -> Option<Vec<String>> {
    let claims = a.fields.get("claims")?.as_object()?;
    let scope = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(scope.split_whitespace().map(str::to_string).collect())
}

/// The JWT's scopes (the authorizer's list, or the `scope` claim), when a
/// JWT authorizer ran.
fn scopes(a: &ApiGatewayRequestAuthorizer) -> Option<Vec<String>> {
    let jwt = a.jwt.as_ref()?;
    let mut scopes = jwt.scopes.clone().unwrap_or_default();
    if let Some(claim) = jwt.claims.get("scope") {
        scopes.extend(claim.split_whitespace().map(str::to_string));
    }
    Some(scopes)
}

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Who {
    /// `iam:<userArn>`, `jwt:<iss> <sub>` or `authorizer:<principalId>`;
    /// `None` when no authorizer ran.
    pub caller: Option<String>,
    /// Which kind of identity `caller` is.
    pub principal: Option<Principal>,
    /// The JWT's scopes, when a JWT authorizer ran (`None` otherwise).
    pub jwt_scopes: Option<Vec<String>>,
    /// API Gateway's request id and the client's address, for the log.
    pub api_request_id: Option<String>,
    pub source_ip: Option<String>,
}

pub fn from_v2(ctx: &ApiGatewayV2httpRequestContext) -> Who {
    let id = ctx.authorizer.as_ref().and_then(identity);
    Who {
        principal: id.as_ref().map(|(p, _)| *p),
        caller: id.map(|(_, c)| c),
        jwt_scopes: ctx.authorizer.as_ref().and_then(scopes),
        api_request_id: ctx.request_id.clone(),
        source_ip: ctx.http.source_ip.clone(),
    }
}

/// REST API: the IAM identity (`requestContext.identity.userArn`), else
/// the authorizer's (Cognito claims, Lambda authorizer principal).
pub fn from_v1(ctx: &ApiGatewayProxyRequestContext) -> Who {
    let id = ctx
        .identity
        .user_arn
        .as_deref()
        .filter(|arn| !arn.is_empty())
        .map(|arn| (Principal::Iam, format!("iam:{arn}")))
        .or_else(|| v1_authorizer(&ctx.authorizer));
    let jwt = id.as_ref().is_some_and(|(p, _)| *p == Principal::Jwt);
    Who {
        principal: id.as_ref().map(|(p, _)| *p),
        caller: id.map(|(_, c)| c),
        jwt_scopes: if jwt {
            v1_scopes(&ctx.authorizer)
        } else {
            None
        },
        api_request_id: ctx.request_id.clone(),
        source_ip: ctx.identity.source_ip.clone(),
    }
}
