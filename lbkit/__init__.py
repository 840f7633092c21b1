"""lbkit: the constructions behind *Superpolynomial Lower Bounds for Learning
One-Layer Neural Networks using Gradient Descent* (Goel, Gollakota, Jin,
Karmalkar, Klivans, ICML 2020), made executable.

The core (activations, Hermite analysis, the orthogonal family, input
distributions) needs only numpy and scipy; torch is imported only by the
learners.
"""

from .activation_library import BUILTIN_ACTIVATIONS, ab_relu, get_activation
from .activations import Activation, CoefficientSource
from .adversary import AdversaryGame, FamilyQuery, HermiteQuery, NeuronQuery
from .certify import CertificationError, CertifiedHits, certified_neuron_hits, largest_neuron_correlation
from .certify_gradient import certified_gradient_hits, largest_gradient_correlation
from .distributions import DISTRIBUTIONS, as_rng, sample
from .family import OrthogonalFamily, OrthogonalNetwork, orthogonal_family, orthogonal_network
from .hermite import gauss_hermite, gaussian_expectation, hermite_functions
from .lower_bounds import csq_lower_bound, gd_query_count, log10_binom, sq_lower_bound, statistical_dimension
from .norms import hermite_weights, norm_lower_bound, norm_squared, norm_terms
from .sq import LINKS, ORACLE_MODES, CSQOracle, SQOracle, boolean_labels, boolean_split
from .stats import mean_se, minibatch_tolerance
from .supports import Supports, sign_patterns, supports

__version__ = "0.1.0"
# The distribution this package comes from (PyPI's "lbkit" is an unrelated package):
# the notebooks' setup cells check it to recognise this lbkit.
__distribution__ = "lbkit-goel2020"

__all__ = [
    "Activation",
    "CoefficientSource",
    "ab_relu",
    "AdversaryGame",
    "FamilyQuery",
    "HermiteQuery",
    "NeuronQuery",
    "BUILTIN_ACTIVATIONS",
    "CSQOracle",
    "ORACLE_MODES",
    "SQOracle",
    "LINKS",
    "boolean_labels",
    "boolean_split",
    "DISTRIBUTIONS",
    "OrthogonalNetwork",
    "OrthogonalFamily",
    "Supports",
    "as_rng",
    "gauss_hermite",
    "gaussian_expectation",
    "get_activation",
    "hermite_functions",
    "hermite_weights",
    "csq_lower_bound",
    "gd_query_count",
    "log10_binom",
    "minibatch_tolerance",
    "sq_lower_bound",
    "statistical_dimension",
    "mean_se",
    "norm_lower_bound",
    "norm_squared",
    "norm_terms",
    "orthogonal_family",
    "orthogonal_network",
    "sample",
    "sign_patterns",
    "supports",
    "CertificationError",
    "CertifiedHits",
    "certified_gradient_hits",
    "certified_neuron_hits",
    "largest_gradient_correlation",
    "largest_neuron_correlation",
]
