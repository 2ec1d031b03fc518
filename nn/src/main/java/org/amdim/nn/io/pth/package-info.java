/**
 * PyTorch's {@code .pth} files ({@code torch.save}), read without Python and without running their pickle.
 *
 * <ul>
 *   <li>{@link org.amdim.nn.io.pth.PthFile} opens a file in either of PyTorch's formats (the legacy one before 1.6,
 *       the zip one since), checks it completely and reads its tensors.</li>
 *   <li>{@link org.amdim.nn.io.pth.RestrictedUnpickler} turns the pickle into plain Java values. It allows only
 *       the few globals a state dict is made of and refuses everything else with an
 *       {@link org.amdim.nn.io.pth.UnsafePickleException}: a malicious file cannot make it run anything.</li>
 *   <li>{@link org.amdim.nn.io.pth.TensorRef} and {@link org.amdim.nn.io.pth.StorageRef} describe tensors and
 *       their storages before any data is read, so every size is checked against the file first.</li>
 * </ul>
 *
 * <p>Files are untrusted input: every problem is a {@link org.amdim.nn.io.pth.PthFormatException} naming the file.
 * The test fixtures, written by PyTorch itself and by hand for the hostile ones, come from
 * {@code scripts/fixtures/make_pth_fixtures.py}.
 */
package org.amdim.nn.io.pth;
