"""The positional encodings of the reference's options (models/positional.py)."""

import math

import pytest
import torch

from config import EncodingShape
from models.positional import (
    ConditionalPositionalEncoding,
    FixedPositionalEncoding,
    LearnablePositionalEncoding,
    RelativePositionalEncoding,
    SequenceTooLong,
    relative_table,
)
from utils.errors import ProjectError


def relative_by_hand(n_rows: int, dim: int) -> torch.Tensor:
    """The relative encoding entry by entry, as the method describes it (float64, then rounded)."""
    table = torch.zeros(n_rows, dim, dtype=torch.float64)
    for i in range(2 * (n_rows // 2)):
        for j in range(dim):
            angle = (j - i + n_rows - 1) / 10000.0 ** ((i + j) / (n_rows + dim))
            table[i, j] = math.sin(angle) if i % 2 == 0 else math.cos(angle)
    return table.float()


@pytest.mark.parametrize(("n_rows", "dim"), [(1, 6), (4, 6), (7, 5), (9, 1)])
def test_relative_table_by_hand(n_rows, dim):
    torch.testing.assert_close(relative_table(n_rows, dim), relative_by_hand(n_rows, dim), atol=1e-6, rtol=1e-5)
    if n_rows % 2:
        assert torch.all(relative_table(n_rows, dim)[-1] == 0)  # an odd last row stays zero, as in the reference


def test_relative_encoding_shape_t_repeats_one_column_and_has_no_length_limit():
    encoding = RelativePositionalEncoding(dim=8, shape=EncodingShape.T)
    out = encoding(torch.zeros(5003, 8))
    assert torch.equal(out, relative_table(5003, 1).expand(5003, 8))
    assert list(encoding.state_dict()) == []


def test_fixed_encoding_shape_t_is_the_sine_of_the_step_over_all_features_and_extends():
    encoding = FixedPositionalEncoding(rows=50, dim=6, shape=EncodingShape.T)
    out = encoding(torch.zeros(80, 6))
    expected = torch.sin(torch.arange(80, dtype=torch.float32))[:, None].expand(80, 6)
    assert torch.equal(out, expected)
    assert encoding.pe.shape == (50, 6)


def test_learnt_table_refuses_inputs_longer_than_itself():
    encoding = LearnablePositionalEncoding(rows=10, dim=4, shape=EncodingShape.TD)
    assert encoding(torch.zeros(10, 4)).shape == (10, 4)
    with pytest.raises(SequenceTooLong, match="has 10 rows and this input needs 11") as error:
        encoding(torch.zeros(11, 4))
    assert isinstance(error.value, ProjectError)
    assert LearnablePositionalEncoding(rows=10, dim=4, shape=EncodingShape.T).pe.shape == (10, 1)


def test_transformer_way_input_gets_the_first_row_only():
    """On the [1, 3, R, D] input stack the reference's tables are indexed by the first axis (length 1)."""
    stack = torch.rand(1, 3, 7, 4)
    fixed = FixedPositionalEncoding(rows=50, dim=4)
    assert torch.equal(fixed(stack), stack + fixed.pe[0])
    learnt = LearnablePositionalEncoding(rows=50, dim=4, shape=EncodingShape.T)
    assert torch.equal(learnt(stack), stack + learnt.pe[0, 0])
    assert torch.equal(RelativePositionalEncoding(dim=4)(stack), stack)


@pytest.mark.parametrize("shape", list(EncodingShape))
def test_conditional_encoding_convolves_over_time_on_maps_and_stacks(shape):
    torch.manual_seed(0)
    encoding = ConditionalPositionalEncoding(dim=4, shape=shape)
    assert encoding.pe.weight.shape == ((4, 4, 3) if shape is EncodingShape.TD else (4, 1, 3))
    attention = torch.rand(9, 4)
    expected = attention + encoding.pe(attention.T[None])[0].T
    torch.testing.assert_close(encoding(attention), expected)
    stack = torch.rand(1, 3, 9, 4)
    out = encoding(stack)
    for channel in range(3):  # each channel of the stack on its own
        torch.testing.assert_close(out[0, channel], encoding(stack[0, channel]))
    # only neighbours matter: changing step 0 leaves step 5 as it was
    moved = attention.clone()
    moved[0] += 1
    assert torch.equal(encoding(moved)[5], encoding(attention)[5])
