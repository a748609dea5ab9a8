//! `Layout`: a `CertificateView` with its slices turned into offsets, so that an owning
//! `Certificate` keeps what the one validating walk found next to the bytes it found it in,
//! and hands out a view again without walking twice.

use crate::time::Timestamp;

use super::CertificateView;

/// Where a field lies in the DER: `start..end`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The span of `part`, a sub-slice of `whole`.
    fn of(whole: &[u8], part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        Span {
            start,
            end: start + part.len(),
        }
    }

    /// The bytes of the span; empty when it does not fit `der` (never the case for the DER the
    /// layout was taken from, but a wrong buffer must not panic).
    fn of_der<'a>(&self, der: &'a [u8]) -> &'a [u8] {
        der.get(self.start..self.end).unwrap_or_default()
    }
}

/// Every field a `CertificateView` holds, as offsets into its DER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    tbs: Span,
    serial: Span,
    signature_algorithm: Span,
    outer_algorithm: Span,
    inner_algorithm: Span,
    signature: Span,
    issuer: Span,
    subject: Span,
    spki: Span,
    not_before: Timestamp,
    not_after: Timestamp,
    extensions: Option<Span>,
    san: Option<Span>,
    basic_constraints: Option<Span>,
    subject_key_id: Option<Span>,
    authority_key_id: Option<Span>,
}

impl Layout {
    /// The layout of a DER the reader refused: every field empty, both times the epoch. Only a
    /// certificate whose reading was deferred (`Certificate::from_signed`) can end up with it.
    pub(crate) fn unreadable() -> Layout {
        let epoch = Timestamp::from_unix(0);
        Layout {
            tbs: Span::default(),
            serial: Span::default(),
            signature_algorithm: Span::default(),
            outer_algorithm: Span::default(),
            inner_algorithm: Span::default(),
            signature: Span::default(),
            issuer: Span::default(),
            subject: Span::default(),
            spki: Span::default(),
            not_before: epoch,
            not_after: epoch,
            extensions: None,
            san: None,
            basic_constraints: None,
            subject_key_id: None,
            authority_key_id: None,
        }
    }

    /// The layout of `view` relative to its own DER.
    pub(crate) fn of(view: &CertificateView<'_>) -> Layout {
        let der = view.der;
        let span = |part: &[u8]| Span::of(der, part);
        let opt = |part: Option<&[u8]>| part.map(span);
        Layout {
            tbs: span(view.tbs),
            serial: span(view.serial),
            signature_algorithm: span(view.signature_algorithm),
            outer_algorithm: span(view.outer_algorithm),
            inner_algorithm: span(view.inner_algorithm),
            signature: span(view.signature),
            issuer: span(view.issuer),
            subject: span(view.subject),
            spki: span(view.spki),
            not_before: view.not_before,
            not_after: view.not_after,
            extensions: opt(view.extensions),
            san: opt(view.san),
            basic_constraints: opt(view.basic_constraints),
            subject_key_id: opt(view.subject_key_id),
            authority_key_id: opt(view.authority_key_id),
        }
    }

    /// The view of `der`, which must be the DER this layout was taken from.
    pub(crate) fn view<'a>(&self, der: &'a [u8]) -> CertificateView<'a> {
        let opt = |span: Option<Span>| span.map(|s| s.of_der(der));
        CertificateView {
            der,
            tbs: self.tbs.of_der(der),
            serial: self.serial.of_der(der),
            signature_algorithm: self.signature_algorithm.of_der(der),
            outer_algorithm: self.outer_algorithm.of_der(der),
            inner_algorithm: self.inner_algorithm.of_der(der),
            signature: self.signature.of_der(der),
            issuer: self.issuer.of_der(der),
            subject: self.subject.of_der(der),
            spki: self.spki.of_der(der),
            not_before: self.not_before,
            not_after: self.not_after,
            extensions: opt(self.extensions),
            san: opt(self.san),
            basic_constraints: opt(self.basic_constraints),
            subject_key_id: opt(self.subject_key_id),
            authority_key_id: opt(self.authority_key_id),
        }
    }
}
