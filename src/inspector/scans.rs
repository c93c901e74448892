//! Code security scans: start one (resolving a repository first), read one
//! (a `SUCCESSFUL` one with its findings).

use super::client::Clients;
use super::errors::aws_error;
use super::findings::findings;
use super::resolve::Resolver;
use crate::domain::{
    Deadline, Error, GetScan, Operation, ScanDetails, ScanFindings, ScanStarted, ScanTarget,
    StartScan,
};
use aws_sdk_inspector2::types::CodeSecurityResource;
use aws_smithy_types::date_time::Format;

/// Start a scan; the deadline is checked before each call (the
/// repository's look-up pages and the start): a call that cannot finish in
/// time is not started.
pub async fn start_scan(
    clients: &Clients,
    resolver: &Resolver,
    s: &StartScan,
    deadline: Deadline,
) -> Result<ScanStarted, Error> {
    let (repository, project_id) = match &s.target {
        ScanTarget::ProjectId(p) => (None, p.clone()),
        ScanTarget::Repository(r) => (
            Some(r.clone()),
            resolver.resolve(clients, r, deadline).await?,
        ),
    };
    let op = Operation::StartCodeSecurityScan;
    // One token for every send of this start, the pacer's included (the
    // SDK would draw a new one per send when none is given).
    let client_token = s.client_token.clone().unwrap_or_else(idempotency_token);
    let out = clients
        .paced(op, deadline, || async {
            clients
                .v2
                .start_code_security_scan()
                .resource(CodeSecurityResource::ProjectId(project_id.clone()))
                .client_token(&client_token)
                .send()
                .await
                .map_err(|e| aws_error(op, e))
        })
        .await?;
    Ok(ScanStarted {
        repository,
        project_id,
        scan_id: out.scan_id().unwrap_or_default().to_string(),
        status: out
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    })
}

pub async fn get_scan(
    clients: &Clients,
    g: &GetScan,
    deadline: Deadline,
) -> Result<ScanDetails, Error> {
    let op = Operation::GetCodeSecurityScan;
    let out = clients
        .paced(op, deadline, || async {
            clients
                .v2
                .get_code_security_scan()
                .resource(CodeSecurityResource::ProjectId(g.project_id.clone()))
                .scan_id(&g.scan_id)
                .send()
                .await
                .map_err(|e| aws_error(op, e))
        })
        .await?;
    let time =
        |t: Option<&aws_smithy_types::DateTime>| t.and_then(|t| t.fmt(Format::DateTime).ok());
    let status = out.status().map(|s| s.as_str().to_string());
    // The account id Inspector answers with is never passed on, and the
    // findings are the findings action's (their own route and scope).
    Ok(ScanDetails {
        project_id: g.project_id.clone(),
        scan_id: out.scan_id().unwrap_or(&g.scan_id).to_string(),
        status,
        status_reason: out.status_reason().map(str::to_string),
        created_at: time(out.created_at()),
        updated_at: time(out.updated_at()),
        last_commit_id: out.last_commit_id().map(str::to_string),
        findings: None,
    })
}

/// A scan's status and, once it is `SUCCESSFUL`, its project's findings by
/// severity (`ListFindingAggregations`).
pub async fn get_findings(
    clients: &Clients,
    g: &GetScan,
    deadline: Deadline,
) -> Result<ScanFindings, Error> {
    let mut scan = get_scan(clients, g, deadline).await?;
    if scan.status.as_deref() == Some("SUCCESSFUL") {
        scan.findings = Some(findings(clients, &g.project_id, deadline).await?);
    }
    Ok(ScanFindings {
        project_id: scan.project_id.clone(),
        scan_id: scan.scan_id.clone(),
        status: scan.status.clone(),
        findings: scan.findings,
        scan,
    })
}

/// A random idempotency token in the SDK's own form (a version-4 UUID).
fn idempotency_token() -> String {
    let (a, b) = (fastrand::u128(..), fastrand::u128(..));
    let v = (a ^ b.rotate_left(64)) & !(0xf000u128 << 64) & !(0xc000u128 << 48);
    let v = v | (0x4000u128 << 64) | (0x8000u128 << 48);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_version_4_uuids_and_differ() {
        let (a, b) = (super::idempotency_token(), super::idempotency_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
    }
}
