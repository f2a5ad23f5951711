//! The Goertzel filter: the strength and phase of one frequency in a window
//! of samples, in O(n) without a full FFT. The controller uses it to read
//! how throughput followed its square wave of thread counts.

/// A complex number, as much of one as the controller needs.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) struct Complex {
    pub(crate) re: f64,
    pub(crate) im: f64,
}

impl Complex {
    pub(crate) fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    pub(crate) fn scale(self, k: f64) -> Complex {
        Complex {
            re: self.re * k,
            im: self.im * k,
        }
    }

    pub(crate) fn sub(self, o: Complex) -> Complex {
        Complex {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }

    /// `self / o`; zero if `o` is zero.
    pub(crate) fn div(self, o: Complex) -> Complex {
        let d = o.re * o.re + o.im * o.im;
        if d == 0.0 {
            return Complex { re: 0.0, im: 0.0 };
        }
        Complex {
            re: (self.re * o.re + self.im * o.im) / d,
            im: (self.im * o.re - self.re * o.im) / d,
        }
    }
}

/// The component of `samples` (oldest first) at `period` samples per cycle.
pub(crate) fn component(samples: impl Iterator<Item = f64>, period: f64) -> Complex {
    let w = 2.0 * std::f64::consts::PI / period;
    let coeff = 2.0 * w.cos();
    let (mut q1, mut q2) = (0.0f64, 0.0f64);
    for x in samples {
        let q0 = coeff * q1 - q2 + x;
        q2 = q1;
        q1 = q0;
    }
    Complex {
        re: q1 - q2 * w.cos(),
        im: q2 * w.sin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_square_wave_at_its_period() {
        let wave: Vec<f64> = (0..32)
            .map(|i| if (i / 2) % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let at = component(wave.iter().copied(), 4.0).abs();
        let off = component(wave.iter().copied(), 32.0 / 9.0).abs();
        assert!(at > 10.0 * off.max(1e-9), "at {at}, off {off}");
        let flat = component(std::iter::repeat_n(5.0, 32), 4.0).abs();
        assert!(
            flat < 1e-6,
            "a constant has no component at period 4: {flat}"
        );
    }

    #[test]
    fn complex_division() {
        let a = Complex { re: 1.0, im: 2.0 };
        let b = Complex { re: 3.0, im: -1.0 };
        let q = a.div(b);
        assert!((q.re - 0.1).abs() < 1e-12 && (q.im - 0.7).abs() < 1e-12);
        assert_eq!(
            a.div(Complex { re: 0.0, im: 0.0 }),
            Complex { re: 0.0, im: 0.0 }
        );
    }
}
