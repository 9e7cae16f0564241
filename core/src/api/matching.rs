//! Which route of the table a request's method and path name: the templates are split into
//! segments once, a request's path once, and among the templates that fit the most literal one
//! wins (decision 106).

use super::table::{RouteSpec, ROUTES};

/// Splits a path (or a template) into its segments.
pub(super) fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// One segment of a route template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Literal(&'static str),
    /// `{name}`: captures the request's segment.
    Param(&'static str),
}

/// A template split once into segments.
#[derive(Debug)]
pub(super) struct Template {
    segs: Vec<Seg>,
    /// Literal segments: among templates matching a path, the most literal one wins.
    literals: usize,
}

impl Template {
    fn new(template: &'static str) -> Template {
        let segs: Vec<Seg> = segments(template)
            .map(|t| match t.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Seg::Param(name),
                None => Seg::Literal(t),
            })
            .collect();
        let literals = segs.iter().filter(|s| matches!(s, Seg::Literal(_))).count();
        Template { segs, literals }
    }

    /// Whether a request's segments fit the template (no allocation). Compared last segment
    /// first: the templates share their leading `api/v1/customers/{customerId}`, they differ at
    /// the end.
    fn fits(&self, path: &[&str]) -> bool {
        self.segs.len() == path.len()
            && self.segs.iter().rev().zip(path.iter().rev()).all(|(t, p)| match t {
                Seg::Param(_) => true,
                Seg::Literal(l) => l == p,
            })
    }

    /// The path parameters of a request the template fits.
    pub(super) fn params<'a>(&self, path: &[&'a str]) -> Vec<(&'static str, &'a str)> {
        self.segs
            .iter()
            .zip(path)
            .filter_map(|(t, p)| match t {
                Seg::Param(name) => Some((*name, *p)),
                Seg::Literal(_) => None,
            })
            .collect()
    }
}

/// The route table with each template split once, built on first use, grouped by number of
/// segments: a request compares segments with the templates of its own length only, instead of
/// re-splitting every template of the table two or three times (that was a fifth of `tenths
/// serve`'s CPU on a small GET, decision 106).
fn compiled(segments: usize) -> &'static [(&'static RouteSpec, Template)] {
    static TABLE: std::sync::OnceLock<Vec<Vec<(&'static RouteSpec, Template)>>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut by_length: Vec<Vec<(&'static RouteSpec, Template)>> = Vec::new();
        for spec in ROUTES {
            let t = Template::new(spec.path);
            let n = t.segs.len();
            if by_length.len() <= n {
                by_length.resize_with(n + 1, Vec::new);
            }
            if let Some(group) = by_length.get_mut(n) {
                group.push((spec, t));
            }
        }
        by_length
    });
    table.get(segments).map_or(&[], Vec::as_slice)
}

/// Matches a request path against a template; returns the path parameters.
#[cfg(test)]
fn match_path<'a>(template: &'static str, path: &'a str) -> Option<Vec<(&'static str, &'a str)>> {
    let t = Template::new(template);
    let path: Vec<&str> = segments(path).collect();
    t.fits(&path).then(|| t.params(&path))
}

pub(crate) fn route_of(method: &str, path: &str) -> Option<&'static RouteSpec> {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let segs: Vec<&str> = segments(path).collect();
    candidates(&segs).into_iter().map(|(spec, _)| spec).find(|s| s.method.eq_ignore_ascii_case(method))
}

/// The routes whose templates fit the path's segments with the most literal segments (one per
/// method at most).
pub(super) fn candidates(path: &[&str]) -> Vec<(&'static RouteSpec, &'static Template)> {
    let fitting = || compiled(path.len()).iter().filter(|(_, t)| t.fits(path));
    let Some(best) = fitting().map(|(_, t)| t.literals).max() else { return Vec::new() };
    fitting().filter(|(_, t)| t.literals == best).map(|(s, t)| (*s, t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_and_capture() {
        let p = match_path("/a/{x}/b/{y}", "/a/1/b/2").unwrap();
        assert_eq!(p, vec![("x", "1"), ("y", "2")]);
        assert!(match_path("/a/{x}/b", "/a/1/c").is_none());
        assert!(match_path("/a/{x}", "/a/1/extra").is_none());
    }
}
