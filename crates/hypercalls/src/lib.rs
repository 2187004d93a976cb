//! placeholder: the hypercall surface (issue 5).
