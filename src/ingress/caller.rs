//! Who sent an HTTP request, as API Gateway established it: the IAM
//! principal or the JWT's issuer, subject and scopes; the API request id and
//! the client's address, for the log.

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext,
};

/// The caller an authorizer context names: an IAM principal, or a JWT's
/// issuer and subject.
fn identity(a: &ApiGatewayRequestAuthorizer) -> Option<String> {
    if let Some(arn) = a.iam.as_ref().and_then(|i| i.user_arn.as_deref()) {
        return Some(format!("iam:{arn}"));
    }
    let claims = &a.jwt.as_ref()?.claims;
    let (iss, sub) = (claims.get("iss")?, claims.get("sub")?);
    Some(format!("jwt:{iss} {sub}"))
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
    /// `iam:<userArn>` or `jwt:<iss> <sub>`; `None` when no authorizer ran.
    pub caller: Option<String>,
    /// The JWT's scopes, when a JWT authorizer ran (`None` otherwise).
    pub jwt_scopes: Option<Vec<String>>,
    /// API Gateway's request id and the client's address, for the log.
    pub api_request_id: Option<String>,
    pub source_ip: Option<String>,
}

pub fn from_v2(ctx: &ApiGatewayV2httpRequestContext) -> Who {
    Who {
        caller: ctx.authorizer.as_ref().and_then(identity),
        jwt_scopes: ctx.authorizer.as_ref().and_then(scopes),
        api_request_id: ctx.request_id.clone(),
        source_ip: ctx.http.source_ip.clone(),
    }
}

pub fn from_v1(ctx: &ApiGatewayProxyRequestContext) -> Who {
    Who {
        caller: ctx
            .identity
            .user_arn
            .as_deref()
            .map(|arn| format!("iam:{arn}"))
            .or_else(|| identity(&ctx.authorizer)),
        jwt_scopes: scopes(&ctx.authorizer),
        api_request_id: ctx.request_id.clone(),
        source_ip: ctx.identity.source_ip.clone(),
    }
}
