/**
 * A procedural, file-free labelled dataset: the default dataset of the command line and the
 * workhorse of the tests. See {@link org.amdim.data.synthetic.SyntheticShapesDataset}.
 */
package org.amdim.data.synthetic;
