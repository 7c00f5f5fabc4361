//! The HyperLogLog string, byte for byte as Redis 7.0 lays it out, and every operation on
//! it: validation, the cached cardinality, dense 6-bit registers, the sparse run-length
//! opcodes (in-place register updates with Redis's exact splitting and merging, so that the
//! same PFADD sequence leaves the same bytes), sparse → dense promotion, register histograms
//! and merging into a max-register array.
//!
//! Layout: `HYLL`, encoding byte (0 dense, 1 sparse), 3 unused bytes, 8-byte little-endian
//! cached cardinality whose top bit marks it stale; then either 16384 6-bit registers packed
//! from the low bits up (12288 bytes), or sparse opcodes:
//! - ZERO  `00xxxxxx`: xxxxxx + 1 (1..=64) zero registers;
//! - XZERO `01xxxxxx yyyyyyyy`: 14-bit length + 1 (1..=16384) zero registers;
//! - VAL   `1vvvvvxx`: xx + 1 (1..=4) registers of value vvvvv + 1 (1..=32).
//!
//! Where a malformed payload makes Redis read one byte past the string (an XZERO as its last
//! byte), that byte is Redis's string terminator; here it reads as 0 too.

pub const HDR: usize = 16;
pub const REGISTERS: usize = 1 << 14;
/// Hash bits left after the register index: a run is at most `Q + 1` long.
pub const Q: usize = 50;
pub const DENSE_LEN: usize = HDR + (REGISTERS * 6).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;

/// A sparse payload that does not describe exactly 16384 registers (or an unknown encoding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Redis's `isHLLObjectOrReply` checks on the string bytes: magic, known encoding, and the
/// exact length for dense.
pub fn valid_header(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= SPARSE
        && (s[4] != DENSE || s.len() == DENSE_LEN)
}

/// An empty HLL as PFADD creates it: sparse, one XZERO of all registers, cached count 0.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR + 2);
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.extend_from_slice(&[0; 11]);
    push_zeros(&mut s, REGISTERS);
    s
}

/// The cached cardinality, when still valid.
pub fn cached(s: &[u8]) -> Option<u64> {
    let c: [u8; 8] = s[8..16].try_into().ok()?;
    (c[7] & 0x80 == 0).then(|| u64::from_le_bytes(c))
}

pub fn set_cached(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// The byte at `i`, or the terminator Redis would read past the end.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Dense registers.

/// Register `i` of a dense register array.
pub fn get_reg(regs: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (byte, fb) = (bit / 8, (bit & 7) as u32);
    let b0 = at(regs, byte) as u32;
    let b1 = at(regs, byte + 1) as u32;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

pub fn set_reg(regs: &mut [u8], i: usize, v: u8) {
    let bit = i * 6;
    let (byte, fb) = (bit / 8, (bit & 7) as u32);
    let v = v as u32 & 63;
    regs[byte] = ((regs[byte] as u32 & !(63 << fb)) | (v << fb)) as u8;
    // The last register ends inside its byte: nothing spills into the next one.
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = ((*b as u32 & !(63 >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

/// Raises register `i` to `count` if that is larger; true if it changed.
pub fn dense_set(s: &mut [u8], i: usize, count: u8) -> bool {
    let regs = &mut s[HDR..];
    if count > get_reg(regs, i) {
        set_reg(regs, i, count);
        true
    } else {
        false
    }
}

// ---------------------------------------------------------------------------------------
// Sparse opcodes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Op {
    /// Registers covered.
    pub fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    /// Bytes taken.
    pub fn size(self) -> usize {
        if matches!(self, Op::XZero(_)) {
            2
        } else {
            1
        }
    }
}

/// Decodes the opcode at `p` (which must be inside `s`).
pub fn op_at(s: &[u8], p: usize) -> Op {
    let b = s[p];
    match b & 0xc0 {
        0x00 => Op::Zero((b & 0x3f) as usize + 1),
        0x40 => Op::XZero((((b & 0x3f) as usize) << 8 | at(s, p + 1) as usize) + 1),
        _ => Op::Val(((b >> 2) & 0x1f) + 1, (b & 3) as usize + 1),
    }
}

/// The opcodes of a sparse HLL, in order.
pub fn ops(s: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut p = HDR;
    std::iter::from_fn(move || {
        if p >= s.len() {
            return None;
        }
        let op = op_at(s, p);
        p += op.size();
        Some(op)
    })
}

fn val_byte(v: u8, len: usize) -> u8 {
    0x80 | ((v - 1) << 2) | (len - 1) as u8
}

/// One ZERO or XZERO opcode for a run of `len` (1..=16384) zero registers.
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    if len > ZERO_MAX_LEN {
        out.push(0x40 | (l >> 8) as u8);
        out.push(l as u8);
    } else {
        out.push(l as u8);
    }
}

/// Calls `f(first, op)` for each opcode; fails once the registers covered pass 16384 (the
/// bound Redis checks so that a crafted payload cannot write out of range), or if they do
/// not reach it exactly.
fn walk(s: &[u8], mut f: impl FnMut(usize, Op)) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    for op in ops(s) {
        if idx + op.span() > REGISTERS {
            return Err(Corrupt);
        }
        f(idx, op);
        idx += op.span();
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// The dense form of a sparse HLL (header, cached count and unused bytes kept).
pub fn to_dense(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut d = vec![0u8; DENSE_LEN];
    d[..HDR].copy_from_slice(&s[..HDR]);
    d[4] = DENSE;
    let regs = &mut d[HDR..];
    walk(s, |first, op| {
        if let Op::Val(v, n) = op {
            for i in first..first + n {
                set_reg(regs, i, v);
            }
        }
    })?;
    Ok(d)
}

/// Raises register `index` of a sparse HLL to `count` in place, as Redis's `hllSparseSet`
/// does (same split, same merge of neighbours, same promotion to dense when the value does
/// not fit a VAL opcode or the string would pass `max_bytes`); true if it changed.
pub fn sparse_set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Find the opcode covering `index`.
    let end = s.len();
    let (mut p, mut first, mut prev, mut found) = (HDR, 0usize, None, None);
    while p < end {
        let op = op_at(s, p);
        if index < first + op.span() {
            found = Some(op);
            break;
        }
        prev = Some(p);
        p += op.size();
        first += op.span();
    }
    let Some(op) = found else {
        return Err(Corrupt);
    };
    match op {
        Op::Val(v, _) if v >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            s[p] = val_byte(count, 1);
            merge_vals(s, prev.unwrap_or(HDR));
            invalidate(s);
            return Ok(true);
        }
        _ => {}
    }
    // Split the run into (left part) VAL(count,1) (right part).
    let last = first + op.span() - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Val(v, _) => {
            if index != first {
                seq.push(val_byte(v, index - first));
            }
            seq.push(val_byte(count, 1));
            if index != last {
                seq.push(val_byte(v, last - index));
            }
        }
        Op::Zero(_) | Op::XZero(_) => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
    }
    let old = op.size();
    if seq.len() > old && end + seq.len() - old > max_bytes {
        return promote(s, index, count);
    }
    // A final XZERO whose second byte lies past the end keeps the length arithmetic of Redis:
    // the string grows by (new - old) bytes, cutting what does not fit.
    let new_len = end + seq.len() - old;
    let tail = s.get(p + old..).map(<[u8]>::to_vec).unwrap_or_default();
    s.truncate(p);
    s.extend_from_slice(&seq);
    s.extend_from_slice(&tail);
    s.truncate(new_len);
    merge_vals(s, prev.unwrap_or(HDR));
    invalidate(s);
    Ok(true)
}

/// Merges adjacent VAL opcodes of equal value, scanning at most five opcodes from `p`.
fn merge_vals(s: &mut Vec<u8>, mut p: usize) {
    let mut budget = 5;
    while p < s.len() && budget > 0 {
        budget -= 1;
        match op_at(s, p) {
            Op::XZero(_) => p += 2,
            Op::Zero(_) => p += 1,
            Op::Val(v1, l1) => {
                if p + 1 < s.len() {
                    if let Op::Val(v2, l2) = op_at(s, p + 1) {
                        if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                            s[p + 1] = val_byte(v1, l1 + l2);
                            s.remove(p);
                            // Stay on the merged opcode: it may merge with the next one.
                            continue;
                        }
                    }
                }
                p += 1;
            }
        }
    }
}

/// Converts to dense, then sets the register there.
fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    *s = to_dense(s)?;
    Ok(dense_set(s, index, count))
}

/// Adds one element's (register, count) to an HLL of either encoding; true if it changed.
pub fn add(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match s[4] {
        DENSE => Ok(dense_set(s, index, count)),
        SPARSE => sparse_set(s, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

// ---------------------------------------------------------------------------------------
// Reading all registers.

/// The histogram of register values (`h[v]` registers hold `v`). A sparse payload is summed
/// without bounds, as Redis does, and must cover exactly 16384 registers.
pub fn histogram(s: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut h = [0u32; 64];
    if s[4] == DENSE {
        let regs = &s[HDR..];
        for i in 0..REGISTERS {
            h[get_reg(regs, i) as usize] += 1;
        }
        return Ok(h);
    }
    let mut idx = 0u64;
    for op in ops(s) {
        let n = op.span() as u32;
        match op {
            Op::Val(v, _) => h[v as usize] = h[v as usize].wrapping_add(n),
            _ => h[0] = h[0].wrapping_add(n),
        }
        idx += n as u64;
    }
    if idx == REGISTERS as u64 {
        Ok(h)
    } else {
        Err(Corrupt)
    }
}

/// The histogram of a plain one-byte-per-register array (PFCOUNT over several keys).
pub fn raw_histogram(regs: &[u8; REGISTERS]) -> [u32; 64] {
    let mut h = [0u32; 64];
    for &r in regs {
        h[(r & 63) as usize] += 1;
    }
    h
}

/// Raises each of `max` to the matching register of `s`.
pub fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == DENSE {
        let regs = &s[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(get_reg(regs, i));
        }
        return Ok(());
    }
    walk(s, |first, op| {
        if let Op::Val(v, n) = op {
            for m in &mut max[first..first + n] {
                *m = (*m).max(v);
            }
        }
    })
}

/// PFDEBUG DECODE's text: `z:len`, `Z:len`, `v:value,len`, space separated.
pub fn decode(s: &[u8]) -> String {
    let mut out = String::new();
    for op in ops(s) {
        if !out.is_empty() {
            out.push(' ');
        }
        let t = match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        };
        out.push_str(&t);
    }
    out
}
